/// A Nova user's `os-stop` / `os-start` (`POST /v2.1/servers/{id}/action`): `compute_api.stop` and
/// `compute_api.start` (nova.md §3.4). The checks run in nova's decorator order (host, then vm_state, then
/// task_state) and refuse with nova's wording; an accepted call sets task_state, records the action (origin
/// `user`) and casts `stop_instance` / `start_instance` to the host's main queue, which it reaches `eventDelay` later.
extension FakeNova {
    /// Why nova-api refused a user's power call: 404 for an unknown server, 409 for an invalid state.
    public struct PowerCallRefusal: Error, Sendable, Equatable {
        public var status: Int
        public var message: String

        public init(status: Int, message: String) {
            self.status = status
            self.message = message
        }
    }

    /// `compute_api.stop` (vm_state active or error) or `compute_api.start` (vm_state stopped), task_state None.
    /// Returns the request id of the recorded instance action.
    public mutating func userPowerCall(_ verb: NovaCompute.PowerVerb, instance uuid: String, now: Duration)
        -> Result<String, PowerCallRefusal>
    {
        guard let row = instances[uuid] else {
            return .failure(.init(status: 404, message: "Instance \(uuid) could not be found."))
        }
        guard row.host != nil else {
            return .failure(.init(status: 409, message: "Instance \(uuid) is not ready"))
        }
        let allowed = verb == .stop ? ["active", "error"] : ["stopped"]
        guard allowed.contains(row.vmState) else { return .failure(Self.invalidState(verb, uuid, "vm_state", row.vmState)) }
        if let task = row.taskState { return .failure(Self.invalidState(verb, uuid, "task_state", task)) }
        let requestID = Self.requestID(compute.makeID(), kind: 0xa)
        acceptPowerTask(verb, uuid, origin: .user, requestID: requestID, castAfter: compute.configuration.eventDelay,
                        now: now)
        return .success(requestID)
    }

    /// `raise_http_conflict_for_instance_invalid_state`'s message.
    private static func invalidState(_ verb: NovaCompute.PowerVerb, _ uuid: String, _ attribute: String,
                                     _ state: String) -> PowerCallRefusal {
        .init(status: 409, message: "Cannot '\(verb.rawValue)' instance \(uuid) while it is in \(attribute) \(state)")
    }

    /// The body of `POST /v2.1/servers/{id}/action` after the token check: `{"os-stop": null}` or
    /// `{"os-start": null}` → 202 with no body; a Nova fault otherwise (400 malformed, 404 unknown, 409 state).
    public mutating func serverAction(_ uuid: String, body: [UInt8], now: Duration) -> FakeNovaResponse {
        guard let json = decodeJSON(body) else { return novaFault(400, "Malformed request body") }
        guard let object = json as? [String: Any], object.count == 1, let key = object.keys.first else {
            return novaFault(400, "Invalid request body: expected one action")
        }
        let verbs: [String: NovaCompute.PowerVerb] = ["os-stop": .stop, "os-start": .start]
        guard let verb = verbs[key] else { return novaFault(400, "There is no such action: \(key)") }
        switch userPowerCall(verb, instance: uuid, now: now) {
        case .success:
            var accepted = FakeNovaResponse(status: 202, json: [String: Any]())
            accepted.body = []
            return accepted
        case .failure(let refusal):
            return novaFault(refusal.status, refusal.message)
        }
    }
}

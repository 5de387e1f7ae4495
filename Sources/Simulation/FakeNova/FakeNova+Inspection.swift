import Foundation

/// Version discovery, the fault gate and the test-only `/_fake` endpoints.
extension FakeNova {
    /// `GET /` (nova.md §4.2); `version` is the max microversion.
    public func versions() -> FakeNovaResponse {
        FakeNovaResponse(status: 200, json: ["versions": [
            ["id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "", "updated": "2025-07-04T12:00:00Z",
             "links": [["rel": "self", "href": endpoint + "/v2/"]]],
            ["id": "v2.1", "status": "CURRENT", "version": "2.\(maxMinor)", "min_version": "2.1",
             "updated": "2013-07-23T11:33:21Z", "links": [["rel": "self", "href": endpoint + "/v2.1/"]]],
        ]])
    }

    /// Faults and the token check ahead of `handleExternalEvents`; nil means go on. Outage first (nothing
    /// answers properly), then injected 401s and 5xxs, then keystonemiddleware's real token check.
    public mutating func admitExternalEvents(token: String?, now: Date) -> FakeNovaResponse? {
        if let outage = outageResponse() { return outage }
        if faults.unauthorizedNext > 0 {
            faults.unauthorizedNext -= 1
            return keystoneUnauthorized()
        }
        if faults.failNext > 0 {
            faults.failNext -= 1
            return novaFault(faults.failStatus, "Unexpected API Error. (injected fault)")
        }
        return isLive(token: token, now: now) ? nil : keystoneUnauthorized()
    }

    public func outageResponse() -> FakeNovaResponse? {
        faults.outage ? novaFault(503, "The server is currently unavailable. (injected outage)") : nil
    }

    public func eventsJSON() -> FakeNovaResponse {
        FakeNovaResponse(status: 200, json: ["events": received.map(\.json)])
    }

    public func instancesJSON() -> FakeNovaResponse {
        FakeNovaResponse(status: 200, json: ["instances": instances.keys.sorted().map { instances[$0]!.json }])
    }

    /// `POST /_fake/instances` `{uuid, host?, node?, power_state?, vm_state?, task_state?}`. An absent host means
    /// "compute-1"; an explicit null means none (→ per-event 422). vm_state follows power_state by default.
    public mutating func createInstance(body: [UInt8]) -> FakeNovaResponse {
        guard let json = decodeJSON(body) as? [String: Any], let uuid = json["uuid"] as? String else {
            return FakeNovaResponse(status: 400, json: ["error": "expected a JSON object with a string uuid"])
        }
        let power = json["power_state"] as? Int ?? FakeNovaInstance.running
        let host: String? = json.keys.contains("host") ? json["host"] as? String : "compute-1"
        let instance = FakeNovaInstance(
            uuid: uuid, vmState: json["vm_state"] as? String ?? (power == FakeNovaInstance.shutdown ? "stopped" : "active"),
            powerState: power, taskState: json["task_state"] as? String, host: host, node: json["node"] as? String)
        add(instance)
        return FakeNovaResponse(status: 201, json: instance.json)
    }

    /// `PUT /_fake/faults`: keys present replace the current values; `revoke_tokens: true` drops all tokens.
    public mutating func setFaults(body: [UInt8]) -> FakeNovaResponse {
        guard let json = decodeJSON(body) as? [String: Any] else {
            return FakeNovaResponse(status: 400, json: ["error": "expected a JSON object"])
        }
        if let value = json["latency_ms"] as? Int { faults.latencyMilliseconds = value }
        if let value = json["fail_next"] as? Int { faults.failNext = value }
        if let value = json["fail_status"] as? Int { faults.failStatus = value }
        if let value = json["unauthorized_next"] as? Int { faults.unauthorizedNext = value }
        if let value = json["outage"] as? Bool { faults.outage = value }
        if let value = json["max_body_bytes"] as? Int { faults.maxBodyBytes = value }
        if json["revoke_tokens"] as? Bool == true { revokeTokens() }
        return faultsJSON()
    }

    public func faultsJSON() -> FakeNovaResponse {
        FakeNovaResponse(status: 200, json: [
            "latency_ms": faults.latencyMilliseconds, "fail_next": faults.failNext, "fail_status": faults.failStatus,
            "unauthorized_next": faults.unauthorizedNext, "outage": faults.outage, "max_body_bytes": faults.maxBodyBytes,
        ])
    }
}

import Foundation

/// A fake Nova as a value: instances, the os-server-external-events API, how nova-compute applies power-update,
/// a Keystone token issuer and fault knobs. No clock or I/O; the HTTP shell (`FakeNovaServer`) passes `now`.
/// Rules follow /work/shared/reference/nova.md §1–§2; see docs/fake-nova.md.
public struct FakeNova: Sendable {
    public var instances: [String: FakeNovaInstance] = [:]
    /// Every event of every request that passed validation, in arrival order.
    public internal(set) var received: [FakeNovaReceivedEvent] = []
    public var faults = FakeNovaFaults()
    /// 79 imitates Train; 104 is nova 34.0.0.
    public var maxMinor: Int
    /// Train (nova ≤ 20): all events failed ⇒ HTTP 404 instead of 207.
    public var trainMode = false
    /// false: accepted power-updates wait in `pendingCompute` until `deliverPendingCompute()`, so a test can
    /// change the instance in between (the API-snapshot vs DB race). true: applied before the API answers.
    public var applyImmediately = true
    public internal(set) var pendingCompute: [PendingPowerUpdate] = []
    /// nova-compute for queued mode (`compute.configuration.queued`): queues, locks, sync, stop_instance.
    public var compute = NovaCompute()
    /// `start`/`stop` actions per instance uuid, oldest first.
    public internal(set) var instanceActions: [String: [FakeNovaInstanceAction]] = [:]
    /// Base URL the catalog advertises (the shell sets it once bound).
    public var endpoint: String
    var keystone = FakeKeystone()
    private var requestCount = 0

    /// One accepted power-update on its way to compute, with the instance as nova-api saw it.
    public struct PendingPowerUpdate: Sendable {
        public var receivedIndex: Int
        public var snapshot: FakeNovaInstance
        public var tag: String
    }

    public init(endpoint: String = "http://127.0.0.1:8774", maxMinor: Int = 104) {
        self.endpoint = endpoint
        self.maxMinor = maxMinor
    }

    public mutating func add(_ instance: FakeNovaInstance) { instances[instance.uuid] = instance }

    /// `POST /v2.1/os-server-external-events` after the token check, in Nova's pipeline order:
    /// 413 → microversion 400/406 → JSON 400 → schema 400 → per-event 404/400/200/422 → 200 or 207.
    public mutating func handleExternalEvents(body: [UInt8], microversion: String?) -> (status: Int, body: [UInt8]) {
        guard body.count <= min(faults.maxBodyBytes, FakeNovaSchema.maxBodyBytes) else { return (413, Self.tooLargeBody) }
        let events: [ExternalEvent]
        do {
            let minor = try FakeNovaSchema.microversion(microversion, maxMinor: maxMinor).get()
            guard let json = decodeJSON(body) else { throw FakeNovaResponseError(400, "Malformed request body") }
            events = try FakeNovaSchema.validate(json, minor: minor).get()
        } catch let error as FakeNovaResponseError {
            let fault = novaFault(error.status, error.message)
            return (fault.status, fault.body)
        } catch {
            return (500, novaFault(500, "Unexpected API Error.").body)
        }
        requestCount += 1
        var results: [[String: Any]] = []
        for event in events {
            let code = perEventCode(event)
            var echoed: [String: Any] = ["name": event.name, "server_uuid": event.serverUUID, "code": code,
                                         "status": code == 200 ? "completed" : "failed"]
            if let tag = event.tag { echoed["tag"] = tag }
            results.append(echoed)
            accept(event, code: code)
        }
        if compute.configuration.queued {
            castPendingEvents()
        } else if applyImmediately {
            deliverPendingCompute()
        }
        let allOK = results.allSatisfy { ($0["code"] as? Int) == 200 }
        if trainMode && results.allSatisfy({ ($0["code"] as? Int) != 200 }) {
            return (404, novaFault(404, "No instances found for any event").body)
        }
        return (allOK ? 200 : 207, encodeJSON(["events": results]))
    }

    /// The webob body oslo's sizelimit middleware sends; not Nova's fault format.
    public static let tooLargeBody = Array("""
        {"title": "Request Entity Too Large", "code": 413, "message": "Request is too large. Larger than max_request_body_size (114688)."}
        """.utf8)

    /// nova.md §1.4: unknown → 404 first, then a missing required tag → 400, then no host → 422, else 200.
    /// vm_state, task_state and power_state are never checked here.
    private func perEventCode(_ event: ExternalEvent) -> Int {
        guard let instance = instances[event.serverUUID] else { return 404 }
        if FakeNovaSchema.tagRequired.contains(event.name) && event.tag == nil { return 400 }
        return instance.host == nil ? 422 : 200
    }

    private mutating func accept(_ event: ExternalEvent, code: Int) {
        var record = FakeNovaReceivedEvent(request: requestCount, name: event.name, serverUUID: event.serverUUID,
                                           tag: event.tag, code: code, outcome: .rejected, log: "")
        if code == 200 {
            if event.name != "power-update" {
                record.outcome = .ignored
            } else if let tag = event.tag, tag == "POWER_ON" || tag == "POWER_OFF", let snapshot = instances[event.serverUUID] {
                record.outcome = .pending
                recordAction(event.serverUUID, action: tag == "POWER_ON" ? "start" : "stop", origin: .event,
                             requestID: Self.requestID(requestCount, kind: 0x8))
                pendingCompute.append(.init(receivedIndex: received.count, snapshot: snapshot, tag: tag))
            } else {
                record.outcome = .invalidTag
                record.log = "Invalid power state \(event.tag ?? ""). Skipping it."
            }
        }
        received.append(record)
    }

    /// nova-compute's `power_update`, in arrival order. Later events for one instance in the same request see
    /// the earlier ones' effect, as compute reuses its in-memory object (nova.md §1.8).
    public mutating func deliverPendingCompute() {
        let batch = pendingCompute
        pendingCompute = []
        var working: [String: FakeNovaInstance] = [:]
        var lastRequest = -1
        for item in batch {
            let request = received[item.receivedIndex].request
            if request != lastRequest { working = [:]; lastRequest = request }
            let snapshot = working[item.snapshot.uuid] ?? item.snapshot
            let (outcome, log) = powerUpdate(snapshot: snapshot, tag: item.tag)
            received[item.receivedIndex].outcome = outcome
            received[item.receivedIndex].log = log
            if outcome == .applied { working[item.snapshot.uuid] = instances[item.snapshot.uuid] }
        }
    }

    mutating func recordAction(_ uuid: String, action: String, origin: FakeNovaInstanceAction.Origin, requestID: String) {
        instanceActions[uuid, default: []].append(.init(action: action, requestID: requestID, origin: origin))
    }

    /// A stable uuid-shaped request id; `kind` (8 for API requests, 9 for the sync) keeps the two apart.
    static func requestID(_ number: Int, kind: Int) -> String {
        let hex = String(number, radix: 16)
        return "req-00000000-0000-4000-\(String(kind, radix: 16))000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    /// Precondition on the API's snapshot; compare-and-swap on the stored row's task_state (nova.md §2).
    mutating func powerUpdate(snapshot: FakeNovaInstance, tag: String, now: Duration? = nil) -> (FakeNovaOutcome, String) {
        let on = tag == "POWER_ON"
        let (fromVM, fromPower) = on ? ("stopped", FakeNovaInstance.shutdown) : ("active", FakeNovaInstance.running)
        guard snapshot.taskState == nil, snapshot.vmState == fromVM, snapshot.powerState == fromPower else {
            return (.noOp, "The power-update \(tag) event for instance \(snapshot.uuid) is a no-op since the instance is "
                + "in vm_state \(snapshot.vmState), task_state \(snapshot.taskState ?? "None") and power_state \(snapshot.powerState)")
        }
        guard var row = instances[snapshot.uuid] else { return (.noOp, "instance \(snapshot.uuid) vanished") }
        if let actual = row.taskState {
            return (.preempted, "The power-update event was possibly preempted: Conflict updating instance \(row.uuid). "
                + "Expected: {'task_state': [None]}. Actual: {'task_state': '\(actual)'}")
        }
        row.vmState = on ? "active" : "stopped"
        row.powerState = on ? FakeNovaInstance.running : FakeNovaInstance.shutdown
        row.taskState = nil
        if let now { store(row, now: now) } else { instances[row.uuid] = row }
        return (.applied, "Power update called for instance with target power state \(tag).")
    }
}

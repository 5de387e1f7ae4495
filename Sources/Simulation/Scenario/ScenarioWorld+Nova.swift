import ControllerCore

/// Nova's timed steps in the world's event queue.
enum NovaStep: Sendable {
    case timer(NovaCompute.TimerToken)
    /// A call of nova-compute to Ironic (the controller) reaching it after `ironicAPILatency`.
    case ironicCall(NovaCompute.Action)
}

// Nova's side: FakeNova's compute machine (NovaCompute: host queues, per-instance locks, the periodic sync over the
// cached node table, the user's os-stop/os-start, stop_instance and start_instance) driven in virtual time; its
// Ironic calls are answered by the controller.
extension ScenarioWorld {
    static func computeConfiguration(_ settings: ScenarioNova) -> NovaCompute.Configuration {
        var configuration = NovaCompute.Configuration()
        configuration.queued = true
        configuration.eventDelay = settings.eventDelay
        configuration.syncInterval = settings.syncInterval
        configuration.syncPoolSize = max(1, settings.syncPoolSize)
        configuration.cacheRefreshInterval = settings.cacheRefreshInterval
        configuration.replicaLag = settings.replicaLag
        configuration.lockArbitration = .seeded
        return configuration
    }

    mutating func startNova() { computeInput(.started) }

    mutating func computeInput(_ input: NovaCompute.Input) {
        performCompute(nova.handleCompute(input, now: now))
    }

    mutating func performCompute(_ actions: [NovaCompute.Action]) {
        for action in actions {
            switch action {
            case .startTimer(let token, let delay):
                scheduler.schedule(.nova(.timer(token)), after: delay)
            case .listIronicNodes, .getIronicNode, .setIronicPowerState:
                scheduler.schedule(.nova(.ironicCall(action)), after: options.ironicAPILatency)
            case .log(let entry):
                traceComputeLog(entry)
            }
        }
    }

    mutating func novaStep(_ step: NovaStep) {
        switch step {
        case .timer(let token): computeInput(.timerFired(token))
        case .ironicCall(let call): answerIronicCall(call)
        }
    }

    /// What Nova reads of a node through Ironic's API: power_state as the mitigation shows it to Nova.
    func ironicView(node index: Int) -> NovaCompute.IronicNodeView {
        NovaCompute.IronicNodeView(uuid: nodes[index].id, instanceUUID: nodes[index].instanceUUID,
                                   powerState: novaView(node: index)?.rawValue,
                                   targetPowerState: nodes[index].targetPowerState?.rawValue)
    }

    private mutating func answerIronicCall(_ call: NovaCompute.Action) {
        switch call {
        case .listIronicNodes(let id):
            if options.holdConfirmOnNovaRead { for (uuid, _) in instancesInOrder() { holdConfirmOnRead(uuid) } }
            computeInput(.ironicNodes(id, .success(instancesInOrder().map { ironicView(node: $0.1) })))
        case .getIronicNode(let id, let instance):
            if options.holdConfirmOnNovaRead { holdConfirmOnRead(instance) }
            computeInput(.ironicNode(id, .success(nodeOfInstance[instance].map { ironicView(node: $0) })))
        case .setIronicPowerState(let id, let nodeID, let target, let timeout):
            guard let index = indexByID[nodeID], let action = PowerAction(rawValue: target) else {
                return computeInput(.ironicPowerRequested(id, .failure(.init(status: 400, message: "bad request"))))
            }
            record(.note, computeLane(instanceOfNode[index] ?? ""), "PUT /v1/nodes/\(names[index])/states/power '\(target)'")
            let accepted = requestPowerAction(action, node: index, requestedByNova: true, timeout: timeout.map { .seconds($0) })
            let result: Result<Void, NovaCompute.IronicCallError> = accepted ? .success(())
                : .failure(.init(status: 409, message: "Node \(nodeID) is locked by a power action already in progress"))
            computeInput(.ironicPowerRequested(id, result))
        case .startTimer, .log:
            break
        }
    }

    func instancesInOrder() -> [(String, Int)] {
        instanceOfNode.enumerated().compactMap { index, uuid in uuid.map { ($0, index) } }
    }

    func computeLane(_ uuid: String) -> String {
        "nova-compute:" + (nodeOfInstance[uuid].map { hosts[$0] } ?? "?")
    }

    func instanceName(_ uuid: String) -> String {
        nodeOfInstance[uuid].map { names[$0] + ": " } ?? ""
    }

    static let syncPhrases = ["sync", "Synchroniz", "DB power_state", "Calling the stop API", "Node cache",
                              "not found. Ignore", "Error updating resources"]

    /// Log lines that change an instance's row, drawn as state changes.
    static let statePhrases = ["Power update called", "Instance stopped", "Instance started"]

    /// Nova's log lines in the trace: the periodic sync's on `nova-sync`, the rest on the instance's host lane.
    private mutating func traceComputeLog(_ entry: NovaComputeLog) {
        let isSync = Self.syncPhrases.contains { entry.message.contains($0) }
        let lane = isSync ? "nova-sync" : entry.instance.map(computeLane) ?? "nova-compute"
        let kind: TraceEvent.Kind = Self.statePhrases.contains(where: entry.message.hasPrefix) ? .state : .note
        record(kind, lane, "\(entry.level.rawValue) " + (entry.instance.map(instanceName) ?? "") + entry.message)
    }

    // MARK: The user's API (`os-stop`, `os-start`)

    /// Returns whether Nova accepted the request (202); the model casts the job to the host's main queue.
    mutating func novaUserRequest(_ uuid: String, start: Bool) -> Bool {
        let verb: NovaCompute.PowerVerb = start ? .start : .stop
        let result = nova.userPowerCall(verb, instance: uuid, now: now)
        switch result {
        case .success:
            record(.note, "nova-api", "\(instanceName(uuid))\(verb.rawValue): 202 Accepted")
        case .failure(let refusal):
            record(.note, "nova-api", "\(instanceName(uuid))\(verb.rawValue): \(refusal.status) "
                + (refusal.status == 409 ? "Conflict: " : "") + refusal.message)
        }
        performCompute(nova.takeComputeActions())
        return (try? result.get()) != nil
    }
}

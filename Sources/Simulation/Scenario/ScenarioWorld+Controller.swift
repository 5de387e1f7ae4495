import ControllerCore
import IPMI

/// A power action under way on one node: the core's machine plus what the shell must do when it ends.
struct RunningAction: Sendable {
    var id: UInt64
    var machine: PowerActionMachine
    var origin: PowerActionOrigin
    var requestedByNova: Bool
    /// A sync pass forcing the hardware reports its outcome only once the action is over (as NodeActor.sync).
    var syncOutcome: PowerSyncOutcome?
}

// The controller, as NodeActor and PowerController do it, over the same pure cores.
extension ScenarioWorld {
    /// `PUT /v1/nodes/{id}/states/power`: claims the node (409 when busy) and starts the action. Returns whether
    /// it was accepted (202).
    @discardableResult
    mutating func requestPowerAction(_ action: PowerAction, node index: Int, origin: PowerActionOrigin = .user,
                                     requestedByNova: Bool = false, timeout: Duration? = nil,
                                     syncOutcome: PowerSyncOutcome? = nil) -> Bool {
        var next = nodes[index]
        do {
            try next.beginPowerAction(action, origin: origin, at: timestamp)
        } catch {
            counters.refusals += 1
            record(.note, lane(node: index), "409 \(action) refused: \(error)")
            return false
        }
        commit(next, node: index)
        nextActionID += 1
        counters.powerActions += 1
        let machine = PowerActionMachine(action: action, timeout: timeout, configuration: options.powerAction)
        actions[index] = RunningAction(id: nextActionID, machine: machine, origin: origin,
                                       requestedByNova: requestedByNova, syncOutcome: syncOutcome)
        let who = origin == .sync ? "sync" : (requestedByNova ? "nova" : "operator")
        record(.note, lane(node: index), "power action '\(action)' started by \(who)")
        feedAction(.start, node: index, id: nextActionID)
        return true
    }

    mutating func feedAction(_ event: PowerActionMachine.Event, node index: Int, id: UInt64) {
        guard var running = actions[index], running.id == id else { return }
        let steps = running.machine.handle(event)
        actions[index] = running
        for step in steps {
            switch step {
            case .readPowerState:
                ipmi(GetChassisStatus.request, .actionRead(id), node: index)
            case .sendChassisControl(let kind):
                guard let control = ChassisControl(rawValue: kind.rawValue) else { continue }
                ipmi(control.request, .actionControl(id, kind), node: index)
            case .startTimer(let token, let delay):
                scheduler.schedule(.actionTimer(node: index, action: id, token: token), after: delay)
            case .finish(let result):
                finishAction(running, result: result, node: index)
            }
        }
    }

    private mutating func finishAction(_ running: RunningAction, result: PowerActionResult, node index: Int) {
        actions[index] = nil
        var next = nodes[index]
        let outcome = next.completePowerAction(running.machine.action, result: result, at: timestamp)
        commit(next, node: index, change: outcome.change, novaEvent: outcome.novaEvent, requestedByNova: running.requestedByNova)
        if case .failed = result {
            counters.powerActionsFailed += 1
            record(.note, lane(node: index), "power action failed: " + (next.lastError ?? "?"))
            // The requester was told (last_error, Nova's fault): what the hardware does now is no longer undone intent.
            if running.origin == .user { intent[index] = nil }
        }
        if let syncOutcome = running.syncOutcome { syncNodeFinished(index, syncOutcome) }
    }

    /// Makes `next` the node, as the store commit does: traces the recorded change and queues its Nova event in the
    /// same step, so the outbox never runs ahead of or behind the node.
    mutating func commit(_ next: Node, node index: Int, change: RecordedPowerChange? = nil,
                         novaEvent: NovaPowerUpdate? = nil, requestedByNova: Bool = false) {
        let previous = nodes[index].powerState
        nodes[index] = next
        generations[index] &+= 1
        if let change {
            record(.state, lane(node: index), "\(change.from?.rawValue ?? "None") → \(change.to?.rawValue ?? "None")")
        }
        if let novaEvent { appendOutbox(novaEvent, node: index, previous: previous, requestedByNova: requestedByNova) }
    }

    mutating func ipmiCompleted(_ purpose: IPMIPurpose, _ result: Result<IPMIResponse, ConsoleError>, node index: Int) {
        switch purpose {
        case .actionRead(let id):
            switch Self.reading(result) {
            case .state(let state): feedAction(.powerStateRead(state), node: index, id: id)
            case .failed(let reason): feedAction(.readFailed(reason), node: index, id: id)
            }
        case .actionControl(let id, _):
            switch result {
            case .success(let response) where response.completionCode == .ok:
                feedAction(.commandAccepted, node: index, id: id)
            case .success(let response):
                feedAction(.commandFailed("\(ConsoleError.completionCode(response.completionCode, "Chassis Control"))"),
                           node: index, id: id)
            case .failure(let error):
                feedAction(.commandFailed("\(error)"), node: index, id: id)
            }
        case .syncRead(let seen):
            syncRead(Self.reading(result), seen: seen, node: index)
        case .recoveryRead(let seen):
            recoveryRead(Self.reading(result), seen: seen, node: index)
        }
    }

    static func reading(_ result: Result<IPMIResponse, ConsoleError>) -> PowerReading {
        switch result {
        case .success(let response):
            guard response.completionCode == .ok else {
                return .failed("\(ConsoleError.completionCode(response.completionCode, "Get Chassis Status"))")
            }
            guard let status = try? GetChassisStatus.Response(data: response.data) else {
                return .failed("malformed Get Chassis Status response")
            }
            return .state(status.powerOn ? .powerOn : .powerOff)
        case .failure(let error):
            return .failed("\(error)")
        }
    }
}

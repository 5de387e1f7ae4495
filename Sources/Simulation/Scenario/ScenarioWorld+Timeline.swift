import ControllerCore
import VirtualBMCCore

// The scenario's steps, and the invariants checked at the end.
extension ScenarioWorld {
    func select(_ selector: ScenarioNodeSelector) -> [Int] {
        switch selector {
        case .all:
            return Array(nodes.indices)
        case .names(let wanted):
            return wanted.compactMap { indexByName[$0] }
        case .range(let prefix, let first, let last):
            guard first <= last else { return [] }
            return (first...last).compactMap { indexByName[prefix + "-" + Self.padded($0, to: 4)] }
        }
    }

    mutating func perform(_ action: ScenarioAction) {
        record(.step, "scenario", Self.describe(action))
        switch action {
        case .powerAction(let selector, let power):
            // A refused request (409) asked for nothing the operator can expect to hold.
            for index in select(selector) where requestPowerAction(power, node: index) {
                intent[index] = power.targetState
            }
        case .novaStop(let selector), .novaStart(let selector):
            var start = false
            if case .novaStart = action { start = true }
            for index in select(selector) {
                guard let uuid = instanceOfNode[index], novaUserRequest(uuid, start: start) else { continue }
                intent[index] = start ? .powerOn : .powerOff
            }
        case .pressPowerButton(let selector):
            for index in select(selector) {
                intent[index] = nil
                bmcs[index].pressPowerButton(now: now)
                noteBMCPower(index)
            }
        case .setBMCFaults(let selector, let faults):
            for index in select(selector) {
                intent[index] = nil
                bmcs[index].setFaults(faults, now: now)
                noteBMCPower(index)
            }
        case .rotateCredentials(let selector, _, let controllerUpdated):
            // The BMC model cannot take a new password, so a rotation the controller did not follow is a login
            // failure (the credentialsRotated fault); one it followed changes nothing the wire shows.
            for index in select(selector) where !controllerUpdated {
                var faults = bmcs[index].spec.faults
                faults.credentialsRotated = true
                bmcs[index].setFaults(faults, now: now)
            }
        case .novaOutage(let on):
            nova.faults.outage = on
        case .runNovaSync:
            // The test hook honours a disabled sync, so a control run can keep the same timeline.
            if scenario.nova.syncInterval == nil {
                record(.note, "nova-sync", "sync_power_state disabled: hook ignored")
            } else {
                computeInput(.runSyncNow)
            }
        case .refreshNovaCache:
            computeInput(.refreshCacheNow)
        case .runControllerSync:
            startSyncPass()
        }
    }

    static func describe(_ action: ScenarioAction) -> String {
        switch action {
        case .powerAction(let selector, let power): "operator: \(power) \(describe(selector))"
        case .novaStop(let selector): "nova user: stop \(describe(selector))"
        case .novaStart(let selector): "nova user: start \(describe(selector))"
        case .pressPowerButton(let selector): "power button pressed on \(describe(selector))"
        case .setBMCFaults(let selector, let faults): "BMC faults \(faults.isNone ? "cleared" : "set") on \(describe(selector))"
        case .rotateCredentials(let selector, _, let followed):
            "BMC password rotated on \(describe(selector))" + (followed ? ", controller updated" : ", controller not told")
        case .novaOutage(let on): on ? "Nova outage begins" : "Nova outage ends"
        case .runNovaSync: "Nova: run _sync_power_states now"
        case .refreshNovaCache: "Nova: refresh the node cache now"
        case .runControllerSync: "controller: sync pass now"
        }
    }

    static func describe(_ selector: ScenarioNodeSelector) -> String {
        switch selector {
        case .all: "all nodes"
        case .names(let names): names.joined(separator: ", ")
        case .range(let prefix, let first, let last): "\(prefix)-\(padded(first, to: 4))…\(padded(last, to: 4))"
        }
    }

    // MARK: End of run

    mutating func checkFinalInvariants() {
        var intents: [String: PowerState] = [:]
        for index in nodes.indices { intents[names[index]] = intent[index] }
        let facts = ScenarioFinalCheck.Facts(nodes: finalStates(), intents: intents,
                                             unsettledEvents: max(unsettled.count, notifier.unsettledCount))
        for (invariant, message) in ScenarioFinalCheck.violations(facts, invariants: scenario.invariants) {
            violate(invariant, message)
        }
    }

    func finalStates() -> [ScenarioNodeFinalState] {
        nodes.indices.map { index in
            let node = nodes[index]
            let row = instanceOfNode[index].flatMap { nova.instances[$0] }
            return ScenarioNodeFinalState(
                name: names[index], nodeID: node.id, powerState: node.powerState, lastError: node.lastError,
                maintenance: node.maintenance, bmcPowerOn: bmcs[index].chassis.powerOn, instanceUUID: node.instanceUUID,
                novaVMState: row?.vmState, novaPowerState: row?.powerState, novaTaskState: row?.taskState)
        }
    }
}

import Controller
import ControllerCore
import Simulation

// The end of a live run: read each party's final state and judge it with the engine's rules.
extension LivePlayer {
    mutating func finish() async throws -> ScenarioLiveResult {
        let controllerNodes = Dictionary(await stack.controller.nodes().map { ($0.name ?? $0.id, $0) },
                                         uniquingKeysWith: { first, _ in first })
        let (rows, received) = await stack.novaServer.update { nova in (nova.instances, nova.received) }
        var finals: [ScenarioNodeFinalState] = []
        for name in stack.names {
            let node = controllerNodes[name]
            // As in the engine: an action that failed told its requester (last_error), so its intent no longer holds.
            if intents[name] != nil, let node, let error = node.lastError, !node.isPowerActionInProgress {
                intents[name] = nil
                record(.note, "controller", "\(name): power action failed: \(error)")
            }
            let instance = stack.instances[name]
            let row = instance.flatMap { rows[$0] }
            finals.append(.make(
                name: name, nodeID: node?.id ?? "", powerState: node?.powerState, lastError: node?.lastError,
                maintenance: node?.maintenance ?? false, bmcPowerOn: try stack.fleet.show(name).powerOn,
                instanceUUID: instance, novaVMState: row?.vmState, novaPowerState: row?.powerState,
                novaTaskState: row?.taskState))
        }
        let outbox = try await stack.store.outbox(state: nil, limit: Int.max)
        let pending = outbox.filter { $0.state == .pending }.count
        counters.eventsQueued = outbox.count
        counters.eventsDelivered = outbox.filter { $0.state == .delivered }.count
        counters.eventsDropped = outbox.filter { $0.state == .dropped }.count
        counters.novaRequests = Set(received.map(\.request)).count

        var violations: [ScenarioViolation] = []
        let facts = ScenarioFinalCheck.Facts(nodes: finals, intents: intents,
                                             unsettledEvents: max(pending, await stack.notifier.unsettledCount))
        var broken = ScenarioFinalCheck.violations(facts, invariants: scenario.invariants)
        if scenario.invariants.contains(.deliveredInOrder) {
            let delivered = outbox.filter { $0.state == .delivered }.sorted { $0.id < $1.id }
                .map { (instance: $0.event.serverUUID, tag: $0.event.tag.rawValue) }
            let accepted = received.filter { $0.code == 200 }.compactMap { event in
                event.tag.map { (instance: event.serverUUID, tag: $0) }
            }
            for mismatch in ScenarioFinalCheck.outOfOrderInstances(receivedByNova: accepted, deliveredInOutboxOrder: delivered) {
                broken.append((.deliveredInOrder, "instance \(mismatch.instance): Nova received "
                    + "\(mismatch.received.joined(separator: ", ")) but the outbox delivered \(mismatch.delivered.joined(separator: ", "))"))
            }
        }
        for (invariant, message) in broken {
            record(.violation, "scenario", message, invariant: invariant.rawValue)
            violations.append(.make(invariant: invariant, instant: elapsed, message: message,
                                                traceIndex: trace.count - 1))
        }
        counters.traceEvents = trace.count
        let run = ScenarioRunResult.make(trace: trace, violations: violations, nodes: finals, counters: counters,
                                    virtualDuration: elapsed)
        return ScenarioLiveResult(run: run, unsupported: unsupported)
    }
}

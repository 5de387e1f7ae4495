import ControllerCore

/// The end-of-run invariants over final states, shared by the deterministic engine (`ScenarioWorld`) and the live
/// mode (`ScenarioLive`), so a scenario is judged by the same rules whether it ran in virtual or wall time. Pure.
public enum ScenarioFinalCheck {
    /// What a run knows at its end, beyond the node states themselves.
    public struct Facts: Sendable, Equatable {
        public var nodes: [ScenarioNodeFinalState]
        /// The last operator request per node name (power action, Nova stop/start); absent when the hardware is
        /// the truth (button press, faults).
        public var intents: [String: PowerState]
        /// Nova events neither delivered nor dropped.
        public var unsettledEvents: Int

        public init(nodes: [ScenarioNodeFinalState], intents: [String: PowerState], unsettledEvents: Int) {
            self.nodes = nodes
            self.intents = intents
            self.unsettledEvents = unsettledEvents
        }
    }

    /// The liveness invariants (`operator-intent-holds`, `nova-agrees`, `every-change-settled`) among `invariants`
    /// that the facts break, in node order, each with its message.
    public static func violations(_ facts: Facts, invariants: [ScenarioInvariant])
        -> [(invariant: ScenarioInvariant, message: String)] {
        var found: [(invariant: ScenarioInvariant, message: String)] = []
        func violate(_ invariant: ScenarioInvariant, _ message: String) {
            if invariants.contains(invariant) { found.append((invariant, message)) }
        }
        for node in facts.nodes {
            let on = node.bmcPowerOn
            if let wanted = facts.intents[node.name], (wanted == .powerOn) != on {
                violate(.operatorIntentHolds, "\(node.name): the operator asked for '\(wanted)' but the node is "
                    + (on ? "on" : "off"))
            }
            guard node.instanceUUID != nil, let vmState = node.novaVMState, let power = node.novaPowerState else { continue }
            let agrees = node.novaTaskState == nil
                && (on ? vmState == "active" && power == FakeNovaInstance.running
                       : vmState == "stopped" && power == FakeNovaInstance.shutdown)
            if !agrees {
                violate(.novaAgrees, "\(node.name): Nova says vm_state \(vmState), power_state \(power), "
                    + "task_state \(node.novaTaskState ?? "None") but the node is " + (on ? "on" : "off"))
            }
        }
        if facts.unsettledEvents > 0 {
            violate(.everyChangeSettled, "\(facts.unsettledEvents) Nova events never delivered nor dropped")
        }
        return found
    }

    /// `delivered-in-order` when only the two ends are visible (live): per instance, the tags Nova accepted, in the
    /// order it received them, must be the tags of the events the controller marked delivered, in outbox order
    /// (repeats in a row collapsed, as a retried request may arrive twice). Returns the instances where they differ.
    public static func outOfOrderInstances(receivedByNova: [(instance: String, tag: String)],
                                           deliveredInOutboxOrder: [(instance: String, tag: String)])
        -> [(instance: String, received: [String], delivered: [String])] {
        func grouped(_ events: [(instance: String, tag: String)]) -> [String: [String]] {
            var tags: [String: [String]] = [:]
            for event in events where tags[event.instance]?.last != event.tag { tags[event.instance, default: []].append(event.tag) }
            return tags
        }
        let received = grouped(receivedByNova), delivered = grouped(deliveredInOutboxOrder)
        return Set(received.keys).union(delivered.keys).sorted().compactMap { instance in
            let got = received[instance] ?? [], sent = delivered[instance] ?? []
            return got == sent ? nil : (instance, got, sent)
        }
    }
}

// Public construction, so a run outside this module (the live mode) reports in the same types. Factories rather
// than public inits: an extension may not redeclare the memberwise initialisers the engine's structs synthesise.
extension ScenarioNodeFinalState {
    public static func make(name: String, nodeID: String, powerState: PowerState?, lastError: String?, maintenance: Bool,
                            bmcPowerOn: Bool, instanceUUID: String?, novaVMState: String?, novaPowerState: Int?,
                            novaTaskState: String?) -> ScenarioNodeFinalState {
        ScenarioNodeFinalState(name: name, nodeID: nodeID, powerState: powerState, lastError: lastError,
                               maintenance: maintenance, bmcPowerOn: bmcPowerOn, instanceUUID: instanceUUID,
                               novaVMState: novaVMState, novaPowerState: novaPowerState, novaTaskState: novaTaskState)
    }
}

extension ScenarioViolation {
    public static func make(invariant: ScenarioInvariant, instant: Duration, message: String,
                            traceIndex: Int) -> ScenarioViolation {
        ScenarioViolation(invariant: invariant, instant: instant, message: message, traceIndex: traceIndex)
    }
}

extension ScenarioRunResult {
    public static func make(trace: [TraceEvent], violations: [ScenarioViolation], nodes: [ScenarioNodeFinalState],
                            counters: ScenarioCounters, virtualDuration: Duration) -> ScenarioRunResult {
        ScenarioRunResult(trace: trace, violations: violations, nodes: nodes, counters: counters,
                          virtualDuration: virtualDuration)
    }
}

extension ScenarioWorld {
    /// The uuids the engine gives node `index` (0-based, fleet order) and its instance; live runs use the same.
    public static func nodeUUID(index: Int) -> String { uuid(prefix: "1", index + 1) }
    public static func instanceUUID(index: Int) -> String { uuid(prefix: "2", index + 1) }
}

extension ScenarioWorld {
    /// A step as the trace's `step` line says it, for runs outside the engine.
    public static func describeStep(_ action: ScenarioAction) -> String { describe(action) }
}

import ControllerCore
import Simulation
import Testing

/// The end-of-run rules shared by the engine and the live mode.
@Suite("Scenario final check")
struct ScenarioFinalCheckTests {
    static func node(_ name: String, on: Bool, nova: (String, Int, String?)? = nil) -> ScenarioNodeFinalState {
        .make(name: name, nodeID: "id-" + name, powerState: on ? .powerOn : .powerOff, lastError: nil,
                               maintenance: false, bmcPowerOn: on, instanceUUID: nova == nil ? nil : "i-" + name,
                               novaVMState: nova?.0, novaPowerState: nova?.1, novaTaskState: nova?.2)
    }

    @Test("intent, Nova agreement and unsettled events, each only when listed")
    func liveness() {
        let facts = ScenarioFinalCheck.Facts(
            nodes: [Self.node("a", on: false, nova: ("active", 1, nil)), Self.node("b", on: true, nova: ("active", 1, nil)),
                    Self.node("c", on: true, nova: ("active", 1, "powering-off"))],
            intents: ["a": .powerOn, "b": .powerOn], unsettledEvents: 2)
        let all = ScenarioFinalCheck.violations(facts, invariants: ScenarioInvariant.allCases)
        #expect(all.map(\.invariant) == [.operatorIntentHolds, .novaAgrees, .novaAgrees, .everyChangeSettled])
        #expect(all[0].message == "a: the operator asked for 'power on' but the node is off")
        #expect(all[2].message == "c: Nova says vm_state active, power_state 1, task_state powering-off but the node is on")
        #expect(all[3].message == "2 Nova events never delivered nor dropped")
        #expect(ScenarioFinalCheck.violations(facts, invariants: [.deliveredInOrder]).isEmpty)
    }

    @Test("delivered order: repeats collapse; an older tag after a newer one is found")
    func order() {
        let sent = [("x", "POWER_OFF"), ("y", "POWER_ON"), ("x", "POWER_ON")].map { (instance: $0.0, tag: $0.1) }
        let retried = [("x", "POWER_OFF"), ("x", "POWER_OFF"), ("y", "POWER_ON"), ("x", "POWER_ON")].map { (instance: $0.0, tag: $0.1) }
        #expect(ScenarioFinalCheck.outOfOrderInstances(receivedByNova: retried, deliveredInOutboxOrder: sent).isEmpty)
        let swapped = [("x", "POWER_ON"), ("y", "POWER_ON"), ("x", "POWER_OFF")].map { (instance: $0.0, tag: $0.1) }
        let found = ScenarioFinalCheck.outOfOrderInstances(receivedByNova: swapped, deliveredInOutboxOrder: sent)
        #expect(found.map(\.instance) == ["x"])
        #expect(found.first?.received == ["POWER_ON", "POWER_OFF"])
    }
}

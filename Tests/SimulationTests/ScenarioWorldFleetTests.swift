import ControllerCore
import Simulation
import Testing
import VirtualBMCCore

/// Fleets, outages and faults through the whole world.
@Suite struct ScenarioWorldFleetTests {
    @Test func aNovaOutageDuringAMassPowerOffStillSettlesEveryChangeWithTheNewestState() {
        let scenario = Scenario(
            name: "outage", summary: "50 nodes off while Nova answers 503",
            fleet: [ScenarioNodeGroup(count: 50, powerOn: true)],
            network: ScenarioNetwork(latency: .milliseconds(1), jitter: .milliseconds(3), loss: 0.01),
            timeline: [
                ScenarioStep(at: .seconds(5), action: .novaOutage(true)),
                ScenarioStep(at: .seconds(10), action: .powerAction(.all, .powerOff)),
                ScenarioStep(at: .seconds(30), action: .powerAction(.range(prefix: "node", first: 1, last: 5), .powerOn)),
                ScenarioStep(at: .seconds(90), action: .novaOutage(false)),
            ],
            settle: .seconds(300))
        var world = ScenarioWorld(scenario: scenario, seed: 11)
        let result = world.run()
        #expect(result.violations.isEmpty, "\(result.violations.map(\.message))")
        #expect(result.counters.eventsQueued == 55)
        #expect(result.counters.eventsDelivered + result.counters.eventsDropped == 55)
        #expect(result.trace.contains { $0.lane == "nova-api" && $0.label == "503" })
        for (index, node) in result.nodes.enumerated() {
            let on = index < 5
            #expect(node.bmcPowerOn == on)
            #expect(node.novaVMState == (on ? "active" : "stopped"), "\(node.name)")
        }
    }

    @Test func aBMCThatDiesMidActionFailsTheActionWithLastErrorInsteadOfHanging() {
        let scenario = Scenario(
            name: "dead-bmc", summary: "the BMC stops answering while the chassis powers on",
            fleet: [ScenarioNodeGroup(count: 1, powerOn: false, timings: ChassisTimings(powerTransition: .seconds(5)),
                                      withInstances: false)],
            timeline: [
                ScenarioStep(at: .seconds(1), action: .powerAction(.all, .powerOn)),
                ScenarioStep(at: .seconds(3), action: .setBMCFaults(.all, FaultSpec(dead: true))),
            ],
            settle: .seconds(120))
        var world = ScenarioWorld(scenario: scenario, seed: 5)
        let result = world.run()
        #expect(result.counters.powerActions == 1)
        #expect(result.counters.powerActionsFailed == 1)
        let node = result.nodes[0]
        #expect(node.lastError?.contains("Failed to change power state to 'power on'") == true, "\(node.lastError ?? "nil")")
        #expect(node.powerState == .powerOff)
        #expect(result.trace.contains { $0.label.hasPrefix("power action failed") && $0.at < 30_000_000 })
    }

    @Test func aThousandNodeMassPowerOnFinishes() {
        let scenario = Scenario(
            name: "mass-power-on", summary: "1,000 nodes on at once",
            fleet: [ScenarioNodeGroup(count: 1_000, powerOn: false)],
            network: ScenarioNetwork(latency: .milliseconds(1), jitter: .milliseconds(2)),
            timeline: [ScenarioStep(at: .seconds(1), action: .powerAction(.all, .powerOn))],
            settle: .seconds(120))
        var world = ScenarioWorld(scenario: scenario, seed: 1)
        let result = world.run()
        #expect(result.virtualDuration == .seconds(121))
        #expect(result.nodes.allSatisfy { $0.bmcPowerOn && $0.powerState == .powerOn && $0.novaVMState == "active" })
        #expect(result.violations.isEmpty, "\(result.violations.prefix(3).map(\.message))")
        #expect(result.counters.eventsDelivered == 1_000)
        // No per-datagram lines for a fleet this size: the trace stays readable.
        #expect(!result.trace.contains { $0.kind == .send && $0.lane.hasPrefix("node:") })
    }

    @Test func aRequestedSyncPassDoesNotStartASecondPeriodicSchedule() {
        let scenario = Scenario(
            name: "passes", summary: "one requested pass, then the 60 s schedule",
            fleet: [ScenarioNodeGroup(count: 3, powerOn: true)],
            timeline: [ScenarioStep(at: .seconds(1), action: .runControllerSync)],
            settle: .seconds(599))
        var world = ScenarioWorld(scenario: scenario, seed: 2)
        let result = world.run()
        // 1 requested + the periodic ones at 60, 120, …, 600 s.
        #expect(result.counters.syncPasses == 11)
        #expect(result.violations.isEmpty)
        #expect(result.nodes.allSatisfy { $0.powerState == .powerOn && $0.bmcPowerOn })
    }

    @Test func novaUsersStopAndStartThroughTheControllerAndABusyNodeRefuses() {
        let scenario = Scenario(
            name: "nova-users", summary: "os-stop and os-start reach the BMC through the controller",
            fleet: [ScenarioNodeGroup(count: 2, powerOn: true, timings: ChassisTimings(powerTransition: .seconds(3)))],
            network: ScenarioNetwork(latency: .milliseconds(1), jitter: .milliseconds(2), loss: 0.02),
            timeline: [
                ScenarioStep(at: .seconds(5), action: .novaStop(.names(["node-0001"]))),
                // While Nova's soft power off runs, the operator's request is refused (409) and asks for nothing.
                ScenarioStep(at: .seconds(6), action: .powerAction(.names(["node-0001"]), .powerOn)),
                ScenarioStep(at: .seconds(120), action: .novaStart(.names(["node-0001"]))),
                ScenarioStep(at: .seconds(125), action: .novaStart(.names(["node-0002"]))),
            ],
            settle: .seconds(300))
        var world = ScenarioWorld(scenario: scenario, seed: 4)
        let result = world.run()
        #expect(result.violations.isEmpty, "\(result.violations.map(\.message))")
        #expect(result.counters.refusals >= 1)
        #expect(result.trace.contains { $0.lane == "nova-api" && $0.label.contains("node-0002: start: 409") })
        #expect(result.trace.contains { $0.kind == .state && $0.lane == "bmc:node-0001" && $0.label == "power on → power off" })
        #expect(result.nodes.allSatisfy { $0.bmcPowerOn && $0.novaVMState == "active" && $0.novaTaskState == nil })
    }

    @Test(arguments: UInt64(1)...8)
    func aLossyDuplicatingReorderingNetworkStillEndsRight(seed: UInt64) {
        let scenario = Scenario(
            name: "bad-network", summary: "power changes over a bad management network",
            fleet: [ScenarioNodeGroup(count: 6, powerOn: false)],
            network: ScenarioNetwork(latency: .milliseconds(2), jitter: .milliseconds(20), loss: 0.1, duplication: 0.1,
                                     reordering: 0.1),
            timeline: [
                ScenarioStep(at: .seconds(2), action: .powerAction(.all, .powerOn), jitter: .seconds(1)),
                ScenarioStep(at: .seconds(40), action: .powerAction(.range(prefix: "node", first: 1, last: 3), .powerOff)),
                ScenarioStep(at: .seconds(80), action: .powerAction(.names(["node-0002"]), .rebooting)),
            ],
            settle: .seconds(600))
        var world = ScenarioWorld(scenario: scenario, seed: seed)
        let result = world.run()
        #expect(result.violations.isEmpty, "\(result.violations.map(\.message))")
        #expect(result.counters.datagramsDropped > 0)
        // At 10 % loss a handshake sometimes fails all four attempts: the action then fails visibly, never silently.
        for (node, wanted) in zip(result.nodes, [false, true, false, true, true, true]) {
            // (The sync clears last_error once record and hardware agree again, so the trace is the witness.)
            let failed = result.trace.contains { $0.lane == "node:" + node.name && $0.label.hasPrefix("power action failed") }
            #expect(node.bmcPowerOn == wanted || failed, "\(node.name)")
            #expect(node.powerState == (node.bmcPowerOn ? .powerOn : .powerOff), "\(node.name): record and hardware differ")
        }
    }
}

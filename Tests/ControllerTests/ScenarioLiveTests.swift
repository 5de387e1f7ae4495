import ControllerCore
import Foundation
import ScenarioLive
import Simulation
import TestSupport
import Testing

/// Scenarios run live: a VirtualBMC fleet, the controller and its API, the fake Nova and the notifier on 127.0.0.1.
@Suite("Scenario live mode", .serialized)
struct ScenarioLiveTests {
    static let small = """
        summary: operator power on and off, a button press and a short Nova outage, live
        fleet:
          - prefix: node
            count: 2
            power: off
          - prefix: web
            count: 1
            power: on
        controller:
          sync_power_state_interval: 1s
          force_power_state_during_sync: false
        nova:
          sync_interval: off
          event_delay: 50ms
        timeline:
          - at: 300ms
            action: power on
            nodes: node-0001
          - at: 3500ms
            action: nova outage begins
          - at: 4s
            action: power off
            nodes: web-0001
          - at: 4200ms
            action: press power button
            nodes: node-0002
          - at: 6s
            action: nova outage ends
        settle: 15m
        expect: invariants hold
        """

    /// Timeline A live, with wide gaps so wall-clock scheduling cannot reorder it: the event waits 5 s in
    /// nova-compute's queue while Nova refreshes its cache and syncs.
    static let raceLive = """
        summary: timeline A over real UDP and HTTP
        fleet:
          - {prefix: node, count: 1, power: off}
        controller: {sync_power_state_interval: 60s}
        nova: {sync_interval: 600s, event_delay: 5s}
        timeline:
          - {at: 500ms, action: power on, nodes: node-0001}
          - {at: 2s, action: nova cache refresh}
          - {at: 3s, action: nova sync}
        invariants: [operator-intent-holds, every-change-settled, delivered-in-order]
        expect: violates operator-intent-holds
        """

    @Test("timeline A live: Nova undoes the operator's power on; with hold_power_state_until_applied it does not")
    func raceAndMitigationLive() async throws {
        var scenario = try ScenarioFileReader.read(Self.raceLive, file: "live-race.yaml")
        let race = try await ScenarioLiveRun.run(scenario, options: .init(settle: .seconds(8)))
        #expect(race.run.violated(.operatorIntentHolds), "\(race.summary(for: scenario))")
        #expect(race.run.nodes.first?.bmcPowerOn == false)

        scenario.controller.holdPowerStateUntilApplied = true
        let mitigated = try await ScenarioLiveRun.run(scenario, options: .init(settle: .seconds(8)))
        #expect(mitigated.run.violations.isEmpty, "\(mitigated.summary(for: scenario))")
        #expect(mitigated.unsupported.isEmpty)
        let node = try #require(mitigated.run.nodes.first)
        #expect(node.bmcPowerOn && node.novaVMState == "active" && node.novaTaskState == nil)
    }

    @Test("operator on/off, a button press and a Nova outage: every invariant holds; BMCs and Nova end as expected")
    func smallScenarioPasses() async throws {
        let scenario = try ScenarioFileReader.read(Self.small, file: "live-small.yaml")
        let result = try await ScenarioLiveRun.run(scenario, options: .init(settle: .seconds(10)))
        #expect(result.passed, "\(result.summary(for: scenario))")
        #expect(result.unsupported.isEmpty)
        let nodes = Dictionary(uniqueKeysWithValues: result.run.nodes.map { ($0.name, $0) })
        for (name, on) in [("node-0001", true), ("node-0002", true), ("web-0001", false)] {
            let node = try #require(nodes[name])
            #expect(node.bmcPowerOn == on, "\(name)")
            #expect(node.powerState == (on ? .powerOn : .powerOff), "\(name)")
            #expect(node.novaVMState == (on ? "active" : "stopped"), "\(name)")
            #expect(node.novaPowerState == (on ? 1 : 4), "\(name)")
            #expect(node.novaTaskState == nil, "\(name)")
        }
        // Same names and uuids as the engine gives them.
        #expect(nodes["web-0001"]?.nodeID == ScenarioWorld.nodeUUID(index: 2))
        #expect(nodes["web-0001"]?.instanceUUID == ScenarioWorld.instanceUUID(index: 2))
        // The simulation ends where reality did.
        #expect(result.differences(from: ScenarioWorld.run(scenario, seed: 1)) == [])
        #expect(result.run.counters.powerActions == 2)
        #expect(result.run.counters.eventsDelivered >= 3)
        #expect(result.run.counters.novaRequests >= 2, "one request before the outage, one after")
    }

    @Test("an expectation the hardware cannot meet (stuck power) is reported as a violation")
    func impossibleExpectationIsViolated() async throws {
        let text = """
            summary: the operator asks for power on a BMC whose power is stuck
            fleet:
              - prefix: node
                count: 1
                faults: {stuck_power: true}
            nova:
              sync_interval: off
            timeline:
              - at: 200ms
                action: power on
                nodes: node-0001
              - at: 300ms
                action: nova stop
                nodes: node-0001
            invariants: [operator-intent-holds, every-change-settled]
            expect: invariants hold
            """
        let scenario = try ScenarioFileReader.read(text, file: "live-stuck.yaml")
        let result = try await ScenarioLiveRun.run(scenario, options: .init(settle: .seconds(3)))
        #expect(result.run.violated(.operatorIntentHolds), "\(result.summary(for: scenario))")
        #expect(!result.matches(scenario.expectation))
        #expect(result.run.nodes.first?.bmcPowerOn == false)
        let violation = try #require(result.run.violations.first)
        #expect(violation.message == "node-0001: the operator asked for 'power on' but the node is off")
        // The user's stop goes to the fake Nova, which refuses it: the instance is stopped. No intent is recorded.
        #expect(result.unsupported.isEmpty)
        #expect(result.run.trace.contains { $0.lane == "nova-api" && $0.label.hasPrefix("node-0001: stop: 409 Conflict: "
            + "Cannot 'stop' instance") && $0.label.hasSuffix("while it is in vm_state stopped") })
        #expect(result.summary(for: scenario).contains("NOT as expected"))
    }

    @Test("ferrum scenario run --live: the summary, and exit 0 when the run gives the file's expectation")
    func commandLine() async throws {
        let text = """
            summary: a stuck BMC refuses the operator
            fleet:
              - prefix: node
                count: 1
                faults: {stuck_power: true}
            nova:
              sync_interval: off
            timeline:
              - at: 100ms
                action: power on
                nodes: node-0001
            invariants: [operator-intent-holds]
            expect: violates operator-intent-holds
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("live-\(UUID().uuidString).yaml")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await ExternalTool.run(ExternalTool.ferrum, ["scenario", "run", file.path, "--live", "--settle", "2"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("node-0001  BMC off"), "\(result.output)")
        #expect(result.output.contains("operator-intent-holds: VIOLATED"), "\(result.output)")
        #expect(result.output.contains("— as expected (violates operator-intent-holds)"), "\(result.output)")
        #expect(result.output.contains("simulated (seed 1)"), "\(result.output)")
    }
}

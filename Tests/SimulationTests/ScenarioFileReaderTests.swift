import ControllerCore
import Foundation
import IPMI
import Simulation
import Testing
import VirtualBMCCore

/// The files in `scenarios/`, found from this test's path (the tests run from any directory).
enum ScenarioFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let directory = root.appendingPathComponent("scenarios")

    static var paths: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "scenarios/" + $0 }
    }

    static func load(_ path: String) throws -> Scenario {
        let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        return try ScenarioFileReader.read(text, file: path)
    }
}

@Suite("Scenario file reader")
struct ScenarioFileReaderTests {
    static let minimal = """
        summary: one node powered on
        fleet:
          - count: 3
        timeline:
          - at: 1s
            action: power on
            nodes: node-0002
        """

    func read(_ text: String) throws(ScenarioFileError) -> Scenario {
        try ScenarioFileReader.read(text, file: "test.yaml")
    }

    func error(_ text: String) -> ScenarioFileError? {
        do {
            _ = try read(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func everyFileInScenariosParses() throws {
        let paths = ScenarioFiles.paths
        #expect(paths.count >= 10, "\(paths)")
        for path in paths {
            let scenario = try ScenarioFiles.load(path)
            #expect(scenario.name == ScenarioFileReader.defaultName(forFile: path))
            #expect(!scenario.summary.isEmpty && !scenario.timeline.isEmpty && !scenario.seeds.isEmpty, "\(path)")
        }
    }

    @Test func theSeedRacePairDiffersOnlyInTheMitigation() throws {
        let race = try ScenarioFiles.load("scenarios/seed-race.yaml")
        let mitigated = try ScenarioFiles.load("scenarios/seed-race-mitigated.yaml")
        #expect(!race.controller.holdPowerStateUntilApplied && mitigated.controller.holdPowerStateUntilApplied)
        #expect(race.expectation == .violates(.operatorIntentHolds) && mitigated.expectation == .invariantsHold)
        #expect(race.timeline == mitigated.timeline && race.fleet == mitigated.fleet && race.nova == mitigated.nova)
    }

    @Test func minimalFileTakesTheModelsDefaults() throws {
        let scenario = try read(Self.minimal)
        #expect(scenario.name == "test")
        #expect(scenario.fleet == [ScenarioNodeGroup(count: 3)])
        #expect(scenario.timeline == [ScenarioStep(at: .seconds(1), action: .powerAction(.names(["node-0002"]), .powerOn))])
        #expect(scenario.invariants == ScenarioInvariant.allCases && scenario.seeds == [1])
        #expect(scenario.nova == ScenarioNova() && scenario.controller == ScenarioController())
        #expect(scenario.expectation == .invariantsHold && scenario.settle == .seconds(900))
    }

    @Test func settingsActionsAndSelectors() throws {
        let scenario = try read("""
            name: full
            summary: s
            fleet:
              - {prefix: web, count: 12, power: on, instances: false, nova_host: c2,
                 timings: {power_transition_ms: 250, os_hung: true}, faults: {busy: 0.5, flapping_period_ms: 1000}}
              - {prefix: db, count: 2}
            network: {latency: 2ms, jitter: 500us, loss: 0.1, duplication: 0.01, reordering: 0.2}
            controller: {sync_power_state_interval: 30s, force_power_state_during_sync: true,
                         power_state_sync_max_retries: 5, send_power_notifications: false, nova_batch_window: 1.5s,
                         hold_power_state_until_applied: true}
            nova: {sync_interval: off, cache_refresh_interval: 10m, event_delay: 0, sync_pool_size: 2,
                   replica_lag: 1h, api_latency: 20ms}
            timeline:
              - {at: 0, action: soft rebooting, nodes: all}
              - {at: 1s, jitter: 250ms, action: nova stop, nodes: "web-[0003-0005]"}
              - {at: 1s, action: press power button, nodes: [db-0002, "web-[0011-0012]"]}
              - {at: 2m, action: set bmc faults, nodes: db-0001, faults: {dead: true}}
              - {at: 2m, action: rotate credentials, nodes: all, password: "0123", controller_updated: true}
              - {at: 1h, action: nova outage begins}
              - {at: 1h, action: nova outage ends}
              - {at: 1h, action: nova sync}
              - {at: 1h, action: nova cache refresh}
              - {at: 1h, action: controller sync}
              - {at: 1h, action: nova start, nodes: db-0001}
            invariants: [nova-agrees, delivered-in-order]
            seeds: [7, 18446744073709551615]
            settle: 90s
            expect: violates nova-agrees
            """)
        let web = scenario.fleet[0]
        #expect(web.prefix == "web" && web.count == 12 && web.powerOn && !web.withInstances && web.novaHost == "c2")
        #expect(web.timings == ChassisTimings(powerTransition: .milliseconds(250), osHung: true))
        #expect(web.faults.busy == 0.5 && web.faults.flappingPeriod == .seconds(1))
        #expect(scenario.network == ScenarioNetwork(latency: .milliseconds(2), jitter: .microseconds(500), loss: 0.1,
                                                    duplication: 0.01, reordering: 0.2))
        #expect(scenario.controller == ScenarioController(syncPowerStateInterval: .seconds(30), forcePowerStateDuringSync: true,
                                                          powerStateSyncMaxRetries: 5, sendPowerNotifications: false,
                                                          novaBatchWindow: .milliseconds(1500),
                                                          holdPowerStateUntilApplied: true))
        #expect(scenario.nova == ScenarioNova(syncInterval: nil, cacheRefreshInterval: .seconds(600), eventDelay: .zero,
                                              syncPoolSize: 2, replicaLag: .seconds(3600), apiLatency: .milliseconds(20)))
        var dead = FaultSpec.none
        dead.dead = true
        #expect(scenario.timeline.map(\.action) == [
            .powerAction(.all, .softRebooting), .novaStop(.range(prefix: "web", first: 3, last: 5)),
            .pressPowerButton(.names(["db-0002", "web-0011", "web-0012"])), .setBMCFaults(.names(["db-0001"]), dead),
            .rotateCredentials(.all, newPassword: "0123", controllerUpdated: true), .novaOutage(true), .novaOutage(false),
            .runNovaSync, .refreshNovaCache, .runControllerSync, .novaStart(.names(["db-0001"])),
        ])
        #expect(scenario.timeline[1].jitter == .milliseconds(250))
        #expect(scenario.invariants == [.novaAgrees, .deliveredInOrder] && scenario.seeds == [7, UInt64.max])
        #expect(scenario.settle == .seconds(90) && scenario.expectation == .violates(.novaAgrees))
        #expect(ScenarioNodeNames.resolve(.range(prefix: "web", first: 3, last: 5), in: scenario.fleet)
            == ["web-0003", "web-0004", "web-0005"])
        #expect(ScenarioNodeNames.resolve(.all, in: scenario.fleet).count == 14)
    }

    @Test(arguments: [
        ("summary: s\nfleet: [{count: 1}]\ntimeline: []\nsettle: 5 s", 4, "settle: expected a duration such as"),
        ("summary: s\nfleet: [{count: 1}]\ntimeline: []\nsetle: 5s", 4, "unknown key 'setle' in the scenario file (did you mean 'settle'?)"),
        ("summary: s\nfleet: [{count: 1}]\ntimeline:\n  - {at: 1s, action: power offf, nodes: all}", 4,
         "action: unknown action 'power offf' (did you mean 'power off'?)"),
        ("summary: s\nfleet: [{count: 1}]\ntimeline: []\ninvariants: [nova-agree]", 4,
         "invariants: unknown invariant 'nova-agree' (did you mean 'nova-agrees'?)"),
        ("summary: s\nfleet: [{count: 2}]\ntimeline:\n  - {at: 1s, action: power on, nodes: node-0003}", 4,
         "nodes: no node 'node-0003' in the fleet"),
        ("summary: s\nfleet: [{count: 2}]\ntimeline:\n  - {at: 1s, action: power on, nodes: \"node-[0001-0003]\"}", 4,
         "1 ≤ first ≤ last ≤ 2"),
        ("summary: s\nfleet: [{count: 2}]\ntimeline:\n  - {at: 1s, action: power on}", 4, "action 'power on' needs nodes:"),
        ("summary: s\nfleet: [{count: 2}]\ntimeline:\n  - {at: 1s, action: nova sync, nodes: all}", 4,
         "'nodes' does not go with action 'nova sync'"),
        ("summary: s\nfleet: [{count: 2}]\ntimeline:\n  - {at: 2s, action: nova sync}\n  - {at: 1s, action: nova sync}", 5,
         "keep the timeline in time order"),
        ("summary: s\nfleet:\n  - count: 2\n    faults: {deadd: true}\ntimeline: []", 4,
         "unknown key 'deadd' in faults (did you mean 'dead'?)"),
        ("summary: s\nfleet: [{count: 0}]\ntimeline: []", 2, "count: 0 is out of range"),
        ("summary: s\nfleet: [{count: 1}, {count: 2}]\ntimeline: []", 2, "prefix 'node' names two node groups"),
        ("summary: s\nfleet: [{count: 1}]\ntimeline: []\nexpect: violates nova-agrees\ninvariants: [delivered-in-order]", 4,
         "'nova-agrees' is not among this scenario's invariants"),
        ("summary: s\nfleet: [{count: 1}]\ntimeline: []\nseeds: []", 4, "seeds: pin at least one seed"),
        ("summary: s\nfleet: [{count: 1}]\ntimeline: []\nnova: {sync_interval: 200h}", 4, "longer than a week"),
        ("summary: s\nfleet: [{count: 1}]\ntimeline:\n  - {at: 1s, action: rotate credentials, nodes: all, password: 123456789012345678901}", 4,
         "password: must be 1 to 20 bytes"),
        ("fleet: [{count: 1}]\ntimeline: []", 1, "a scenario needs summary:"),
        ("summary: [\n", 2, "invalid YAML"),
    ])
    func errorsNameTheLineAndKey(text: String, line: Int, message: String) {
        let error = error(text)
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error)) lacks \(message)")
        #expect(error?.description.hasPrefix("test.yaml:\(line):") == true, "\(String(describing: error))")
    }

    @Test func passwordsNeverAppearInErrors() {
        let error = error("summary: s\nfleet: [{count: 1}]\ntimeline:\n  - {at: 1s, action: rotate credentials, "
            + "nodes: all, password: hunter2hunter2hunter2x}")
        #expect(error != nil && error?.description.contains("hunter2") == false)
    }

    @Test func emptyFileIsAnError() {
        #expect(error("")?.message.contains("the scenario file is empty") == true)
        #expect(error("# only a comment\n")?.line == 1)
    }

    @Test func durations() throws {
        for (text, expected) in [("250ms", Duration.milliseconds(250)), ("2s", .seconds(2)), ("10m", .seconds(600)),
                                 ("1h", .seconds(3600)), ("1.5s", .milliseconds(1500)), ("0", .zero),
                                 ("0.001s", .milliseconds(1)), ("7.25us", .nanoseconds(7250))] {
            let scenario = try read(Self.minimal + "\nsettle: \(text)")
            #expect(scenario.settle == expected, "\(text)")
        }
        for bad in ["5", "s", "1.s", ".5s", "-1s", "1d", "1e3ms", "9999999999h"] {
            #expect(error(Self.minimal + "\nsettle: \(bad)")?.line == 8, "\(bad)")
        }
    }

    /// Truncations and random bytes never crash the reader: every outcome is a scenario or a located error.
    @Test func fuzzedFilesNeverCrash() throws {
        var generator = SeededGenerator(seed: 7)
        let sources = try ScenarioFiles.paths.map { path in
            try String(contentsOf: ScenarioFiles.root.appendingPathComponent(path), encoding: .utf8)
        }
        var errors = 0
        for source in sources {
            let bytes = Array(source.utf8)
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 60)) {
                if case .failure = Result(catching: { try read(String(decoding: bytes[..<cut], as: UTF8.self)) }) { errors += 1 }
            }
            for _ in 0..<60 {
                var mutated = bytes
                for _ in 0..<Int(generator.next() % 4 + 1) {
                    let position = Int(generator.next() % UInt64(mutated.count))
                    mutated[position] = UInt8(truncatingIfNeeded: generator.next())
                }
                if case .failure = Result(catching: { try read(String(decoding: mutated, as: UTF8.self)) }) { errors += 1 }
            }
        }
        #expect(errors > 0)
    }
}

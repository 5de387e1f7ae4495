import Foundation
import Simulation
import TestSupport
import Testing

/// Every file in `scenarios/` gives its expectation with its pinned seeds and over a bounded sweep of fresh seeds;
/// a failure names the command that reproduces it.
@Suite("Scenario runs")
struct ScenarioRunTests {
    static func run(_ scenario: Scenario, seed: UInt64) -> ScenarioRunResult {
        var world = ScenarioWorld(scenario: scenario, seed: seed)
        return world.run()
    }

    static func reproduce(_ path: String, _ seed: UInt64, mitigation: String? = nil) -> String {
        "reproduce: ferrum scenario run \(path) --seed \(seed)" + (mitigation.map { " --mitigation \($0)" } ?? "")
    }

    static func matches(_ scenario: Scenario, _ result: ScenarioRunResult) -> Bool {
        switch scenario.expectation {
        case .invariantsHold: result.violations.isEmpty
        case let .violates(invariant): result.violated(invariant)
        }
    }

    static func describe(_ result: ScenarioRunResult) -> String {
        result.violations.isEmpty ? "no violation"
            : result.violations.map { "\($0.invariant.rawValue): \($0.message)" }.joined(separator: "; ")
    }

    /// The mitigation's confirm gap (docs/scenarios.md, "The mitigation"): the hold outlives Nova's application of
    /// the event, and a sync in that gap stops the node by another path. Known, so the suite flags its fix.
    static let confirmGap = "NovaPowerStateHold outlives Nova's application of the event (the confirm gap)"

    @Test(arguments: ScenarioFiles.paths)
    func pinnedSeedsGiveTheExpectation(path: String) throws {
        let scenario = try ScenarioFiles.load(path)
        let check = {
            for seed in scenario.seeds {
                let result = Self.run(scenario, seed: seed)
                let matched = Self.matches(scenario, result)
                #expect(matched, "\(Self.describe(result)); \(Self.reproduce(path, seed))")
            }
        }
        if scenario.controller.holdPowerStateUntilApplied {
            withKnownIssue(Comment(rawValue: Self.confirmGap)) { check() }
        } else {
            check()
        }
    }

    /// Fresh seeds each run (printed on failure). Files that expect every invariant to hold must hold for all of
    /// them; files that demonstrate a violation must still run cleanly and keep every other invariant. Big fleets
    /// get fewer seeds so the suite stays within about a minute in a debug build.
    @Test(arguments: ScenarioFiles.paths.filter { !$0.contains("seed-race") })
    func boundedRandomSweep(path: String) throws {
        let scenario = try ScenarioFiles.load(path)
        let nodes = scenario.fleet.reduce(0) { $0 + $1.count }
        let count: UInt64 = nodes <= 5 ? 20 : nodes <= 100 ? 2 : nodes <= 200 ? 1 : 0
        let first = UInt64.random(in: 1_000...UInt64(UInt32.max))
        for seed in first..<first + count {
            let result = Self.run(scenario, seed: seed)
            switch scenario.expectation {
            case .invariantsHold:
                let held = result.violations.isEmpty
                #expect(held, "\(Self.describe(result)); \(Self.reproduce(path, seed))")
            case let .violates(invariant):
                let others = result.violations.filter { $0.invariant != invariant }
                #expect(others.isEmpty, "\(others.map(\.message)); \(Self.reproduce(path, seed))")
            }
        }
    }

    /// The race appears without the mitigation and never with it (300 fresh seeds each side).
    @Test func theSeedRaceAppearsWithoutTheMitigationAndNeverWithIt() throws {
        let race = try ScenarioFiles.load("scenarios/seed-race.yaml")
        let mitigated = try ScenarioFiles.load("scenarios/seed-race-mitigated.yaml")
        let first = UInt64.random(in: 1_000...UInt64(UInt32.max))
        var undone = 0
        var mitigatedFailures: [(UInt64, ScenarioRunResult)] = []
        for seed in first..<first + 300 {
            if Self.run(race, seed: seed).violated(.operatorIntentHolds) { undone += 1 }
            let result = Self.run(mitigated, seed: seed)
            if !result.violations.isEmpty { mitigatedFailures.append((seed, result)) }
        }
        #expect(undone > 0, "no seed of \(first)..<\(first + 300) hit the race without the mitigation")
        withKnownIssue(Comment(rawValue: Self.confirmGap)) {
            for (seed, result) in mitigatedFailures.prefix(3) {
                let held = result.violations.isEmpty
                #expect(held,
                        "\(Self.describe(result)); \(Self.reproduce("scenarios/seed-race-mitigated.yaml", seed))")
            }
        }
    }

    @Test func theSameSeedGivesIdenticalTraceLines() throws {
        for path in ["scenarios/seed-race.yaml", "scenarios/flapping-bmc.yaml"] {
            let scenario = try ScenarioFiles.load(path)
            let first = Self.run(scenario, seed: 11).trace.map(\.jsonLine)
            let second = Self.run(scenario, seed: 11).trace.map(\.jsonLine)
            #expect(!first.isEmpty && first == second, "\(path)")
        }
    }
}

/// `ferrum scenario` as a process: exit statuses, the summary, the trace excerpt and the reproduction command.
@Suite("ferrum scenario command line")
struct ScenarioCommandLineTests {
    static let race = ScenarioFiles.directory.appendingPathComponent("seed-race.yaml").path

    @Test func runAViolatingPinnedSeed() async throws {
        let result = try await ExternalTool.run(ExternalTool.ferrum, ["scenario", "run", Self.race, "--seed", "2"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("operator-intent-holds  VIOLATED at"), "\(result.output)")
        #expect(result.output.contains("expected: violates operator-intent-holds — matches"), "\(result.output)")
        #expect(result.output.contains("trace around the violation") && result.output.contains(">> "), "\(result.output)")
        #expect(result.output.contains("reproduce: ferrum scenario run \(Self.race) --seed 2"), "\(result.output)")
    }

    @Test func aRunThatMissesTheExpectationExitsOneAndABadFileTwo() async throws {
        let missed = try await ExternalTool.run(ExternalTool.ferrum,
                                                ["scenario", "run", Self.race, "--seed", "2", "--mitigation", "on"])
        #expect(missed.status == 1, "\(missed.output)")
        #expect(missed.output.contains("DOES NOT MATCH") && missed.output.contains("--seed 2 --mitigation on"),
                "\(missed.output)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        try Data("summary: s\nfleet: [{count: 1}]\ntimeline:\n  - {at: 1s, action: power of, nodes: all}\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let bad = try await ExternalTool.run(ExternalTool.ferrum, ["scenario", "run", file.path])
        #expect(bad.status == 2, "\(bad.output)")
        #expect(bad.output.contains("\(file.path):4:"), "\(bad.output)")
    }

    @Test func exploreFindsTheRaceAndNothingWithTheMitigation() async throws {
        let found = try await ExternalTool.run(ExternalTool.ferrum, ["scenario", "explore", Self.race, "--seeds", "50"])
        #expect(found.status == 1, "\(found.output)")
        #expect(found.output.contains("reproduce: ferrum scenario run \(Self.race) --seed "), "\(found.output)")
        let clean = try await ExternalTool.run(ExternalTool.ferrum,
                                               ["scenario", "explore", Self.race, "--seeds", "50", "--mitigation", "on"])
        #expect(clean.status == 0 || clean.output.contains("reproduce: ferrum scenario run \(Self.race) --seed "),
                "\(clean.output)")
        withKnownIssue(Comment(rawValue: ScenarioRunTests.confirmGap)) {
            #expect(clean.status == 0 && clean.output.contains("no violation in 50 seeds"), "\(clean.output)")
        }
    }

    @Test func timelineAndTraceFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = directory.appendingPathComponent("race.html").path
        let jsonl = directory.appendingPathComponent("race.jsonl").path
        let result = try await ExternalTool.run(ExternalTool.ferrum, ["scenario", "run", Self.race, "--seed", "2",
                                                                     "--timeline", html, "--trace", jsonl, "--quiet"])
        #expect(result.status == 0, "\(result.output)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<g class=\"violation-band\">") && page.contains("operator-intent-holds"))
        let lines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
        #expect(lines.count > 50 && lines.allSatisfy { $0.hasPrefix("{\"at\":") })
    }
}

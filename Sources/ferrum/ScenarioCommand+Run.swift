import ArgumentParser
import Foundation
import Simulation

/// `on` / `off` for `--mitigation`, which overrides the file's `hold_power_state_until_applied`.
enum MitigationSwitch: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

extension ScenarioCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a scenario file in virtual time and check its expectation.",
            discussion: "Without --seed, runs every pinned seed. Exit status: 0 every run matched the file's expect:, "
                + "1 one did not, 2 the file is invalid.")

        @Argument(help: "The scenario file (see docs/scenarios.md).") var file: String
        @Option(help: "Run this seed instead of the file's pinned seeds.") var seed: UInt64?
        @Option(help: "Override the file's hold_power_state_until_applied.") var mitigation: MitigationSwitch?
        @Option(help: "Write the trace, one JSON object per line (seed N of several goes to FILE-seedN.jsonl).")
        var trace: String?
        @Option(help: "Write an HTML timeline of the run (open it in a browser).") var timeline: String?
        @Flag(help: "Only the summary: no trace excerpt.") var quiet = false
        @Flag(help: "Run live instead: real UDP and HTTP on 127.0.0.1, in wall time (docs/scenarios.md, Live mode).")
        var live = false
        @Option(help: "With --live: seconds to wait after the last step (at most the file's settle).") var settle: Double = 20
        @Flag(help: "With --live: print each step as it runs.") var verbose = false

        func run() async throws {
            var scenario = try ScenarioCommand.load(file)
            if let mitigation { scenario.controller.holdPowerStateUntilApplied = mitigation == .on }
            if live { return try await runLive(scenario) }
            let seeds = seed.map { [$0] } ?? scenario.seeds
            var mismatches: [UInt64] = []
            for seed in seeds {
                let started = ContinuousClock.now
                var world = ScenarioWorld(scenario: scenario, seed: seed)
                let result = world.run()
                let wall = ContinuousClock.now - started
                let report = ScenarioReport(scenario: scenario, file: file, seed: seed, mitigation: mitigation,
                                            result: result)
                print(report.summary(wall: wall))
                if let violation = result.violations.first, !quiet { print(report.excerpt(for: violation)) }
                if !report.matchesExpectation || !result.violations.isEmpty {
                    print("reproduce: \(report.reproduction)")
                }
                if !report.matchesExpectation { mismatches.append(seed) }
                if let trace {
                    try write(result.traceText, to: Self.path(trace, seed: seed, of: seeds))
                }
                if let timeline {
                    let title = "\(scenario.name) — seed \(seed)"
                        + (scenario.controller.holdPowerStateUntilApplied ? " (mitigation on)" : "")
                    let violations = result.violations.map {
                        TimelineRenderer.Violation(invariant: $0.invariant.rawValue, at: Int64($0.instant / .microseconds(1)),
                                                   message: $0.message, traceIndex: $0.traceIndex)
                    }
                    let html = TimelineRenderer().render(title: title, trace: result.trace, violations: violations)
                    let path = Self.path(timeline, seed: seed, of: seeds)
                    try write(html, to: path)
                    print("timeline: \(path)")
                }
                print("")
            }
            if mismatches.isEmpty {
                print("\(scenario.name): \(seeds.count) of \(seeds.count) runs match the expectation")
            } else {
                print("\(scenario.name): \(mismatches.count) of \(seeds.count) runs do NOT match the expectation "
                    + "(seeds \(mismatches.map(String.init).joined(separator: ", ")))")
                throw ExitCode(ScenarioCommand.mismatch)
            }
        }

        private func write(_ text: String, to path: String) throws {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            } catch {
                ScenarioCommand.printError("ferrum: cannot write \(path): \(error.localizedDescription)")
                throw ExitCode.failure
            }
        }

        /// One output file per seed when several seeds run: `out.html` → `out-seed7.html`.
        static func path(_ path: String, seed: UInt64, of seeds: [UInt64]) -> String {
            guard seeds.count > 1 else { return path }
            let url = URL(fileURLWithPath: path)
            let stem = url.deletingPathExtension().path + "-seed\(seed)"
            return url.pathExtension.isEmpty ? stem : stem + "." + url.pathExtension
        }
    }
}

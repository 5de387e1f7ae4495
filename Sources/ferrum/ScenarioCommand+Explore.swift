import ArgumentParser
import Foundation
import Simulation

extension ScenarioCommand {
    struct Explore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run many seeds of a scenario and stop at the first invariant violation.",
            discussion: "Prints the violated invariant, the command that reproduces it and the trace around it. "
                + "Exit status: 0 no violation in the seeds tried, 1 a violation was found, 2 the file is invalid.")

        @Argument(help: "The scenario file (see docs/scenarios.md).") var file: String
        @Option(help: "How many seeds to run.") var seeds: Int
        @Option(help: "The first seed.") var from: UInt64 = 1
        @Option(help: "Override the file's hold_power_state_until_applied.") var mitigation: MitigationSwitch?

        func validate() throws {
            guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
            guard from <= UInt64.max - UInt64(seeds - 1) else { throw ValidationError("--from + --seeds passes 2^64") }
        }

        func run() throws {
            var scenario = try ScenarioCommand.load(file)
            if let mitigation { scenario.controller.holdPowerStateUntilApplied = mitigation == .on }
            let mitigated = scenario.controller.holdPowerStateUntilApplied ? "on" : "off"
            print("exploring \(scenario.name) (mitigation \(mitigated)), seeds \(from)…\(from + UInt64(seeds - 1))")
            let started = ContinuousClock.now
            let terminal = isatty(STDERR_FILENO) == 1
            let step = max(1, seeds / 10)
            // Datagram lines are left out while searching; the reproduction run prints them.
            let fast = ScenarioWorldOptions(traceDatagrams: false)
            for offset in 0..<seeds {
                let seed = from + UInt64(offset)
                var world = ScenarioWorld(scenario: scenario, seed: seed, options: fast)
                let result = world.run()
                if let violation = result.violations.first {
                    if terminal { ScenarioCommand.printError("") }
                    report(seed: seed, fastViolation: violation, scenario: scenario, tried: offset + 1, started: started)
                    throw ExitCode(ScenarioCommand.mismatch)
                }
                let done = offset + 1
                if terminal {
                    FileHandle.standardError.write(Data("\rexplored \(done)/\(seeds) seeds".utf8))
                } else if done % step == 0 || done == seeds {
                    ScenarioCommand.printError("explored \(done)/\(seeds) seeds")
                }
            }
            if terminal { ScenarioCommand.printError("") }
            print("no violation in \(seeds) seeds (\(from)…\(from + UInt64(seeds - 1)), "
                + "\(ScenarioReport.wall(ContinuousClock.now - started)) wall)")
        }

        /// Runs the seed again as `scenario run` would (with every trace line) and prints what it found.
        private func report(seed: UInt64, fastViolation: ScenarioViolation, scenario: Scenario, tried: Int,
                            started: ContinuousClock.Instant) {
            var world = ScenarioWorld(scenario: scenario, seed: seed)
            let result = world.run()
            let report = ScenarioReport(scenario: scenario, file: file, seed: seed, mitigation: mitigation, result: result)
            print("violation after \(tried) seed\(tried == 1 ? "" : "s") (\(ScenarioReport.wall(ContinuousClock.now - started)) wall): "
                + "\(fastViolation.invariant.rawValue) at \(ScenarioReport.time(fastViolation.instant)): \(fastViolation.message)")
            print("reproduce: \(report.reproduction)")
            if let violation = result.violations.first {
                print(report.excerpt(for: violation))
            } else {
                print("(the full-trace run of this seed did not repeat the violation: tracing changed the schedule)")
            }
        }
    }
}

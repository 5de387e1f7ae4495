import ArgumentParser
import Foundation
import ScenarioLive
import Simulation

extension ScenarioCommand {
    /// `ferrum scenario live FILE`: the scenario over real UDP and HTTP on 127.0.0.1, in wall time.
    struct Live: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a scenario file live: a VirtualBMC fleet, the controller and its API, the fake Nova and the "
                + "notifier on 127.0.0.1, the timeline in wall time; then check the invariants (not deterministic).")

        @Argument(help: "The scenario file (YAML).") var file: String
        @Option(help: "Seed for the steps' jitter, the fleet's faults and Nova's lock hand-overs.") var seed: UInt64 = 1
        @Option(help: "Seconds to wait after the last step (at most the file's settle).") var settle: Double = 20
        @Flag(help: "Print each step as it runs.") var verbose = false

        func run() async throws {
            let scenario = try ScenarioCommand.load(file)
            guard settle >= 0 else { throw ValidationError("--settle must not be negative") }
            var options = ScenarioLiveOptions(settle: .milliseconds(Int64(settle * 1000)), seed: seed)
            if verbose { options.progress = { line in print(line) } }
            let result: ScenarioLiveResult
            do {
                result = try await ScenarioLiveRun.run(scenario, options: options)
            } catch {
                ScenarioCommand.printError("ferrum: live run failed: \(error)")
                throw ExitCode(ScenarioCommand.mismatch)
            }
            print(result.summary(for: scenario))
            if !result.matches(scenario.expectation) { throw ExitCode(ScenarioCommand.mismatch) }
        }
    }
}

import ArgumentParser
import Foundation
import ScenarioLive
import Simulation

extension ScenarioCommand.Run {
    /// `ferrum scenario run FILE --live`: once, with `--seed` or the first pinned seed, over real UDP and HTTP on
    /// 127.0.0.1 in wall time; the summary and how it differs from the simulated run, then exit 0 when the run matches the file's `expect:`, 1 when not.
    func runLive(_ scenario: Scenario) async throws {
        guard settle >= 0 else { throw ValidationError("--settle must not be negative") }
        if trace != nil || timeline != nil {
            ScenarioCommand.printError("ferrum: --trace and --timeline are for runs in virtual time; ignored with --live")
        }
        var options = ScenarioLiveOptions(settle: .milliseconds(Int64(settle * 1000)),
                                          seed: seed ?? scenario.seeds.first ?? 1)
        if verbose { options.progress = { line in print(line) } }
        let result: ScenarioLiveResult
        do {
            result = try await ScenarioLiveRun.run(scenario, options: options)
        } catch {
            ScenarioCommand.printError("ferrum: live run failed: \(error)")
            throw ExitCode(ScenarioCommand.mismatch)
        }
        print(result.summary(for: scenario))
        // The same scenario and seed in virtual time (moments), so the two can be compared at a glance.
        let simulated = ScenarioWorld.run(scenario, seed: options.seed)
        let differences = result.differences(from: simulated)
        print(differences.isEmpty ? "simulated (seed \(options.seed)): the same final states and verdicts"
            : "simulated (seed \(options.seed)) differs:\n" + differences.map { "  " + $0 }.joined(separator: "\n"))
        if !result.matches(scenario.expectation) { throw ExitCode(ScenarioCommand.mismatch) }
    }
}

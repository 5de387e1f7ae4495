import Foundation
import ScenarioLive
import Simulation
import Testing

extension ScenarioLiveTests {
    @Test("scenarios/nova-user-stop-start.yaml live: os-stop/os-start through the fake Nova, 409s mid-task, as simulated")
    func novaUserStopStartFile() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = "scenarios/nova-user-stop-start.yaml"
        let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        let scenario = try ScenarioFileReader.read(text, file: path)
        let result = try await ScenarioLiveRun.run(scenario, options: .init(settle: .seconds(4)))
        #expect(result.matches(scenario.expectation), "\(result.summary(for: scenario))")
        #expect(result.unsupported.isEmpty)
        let answers = result.run.trace.filter { $0.lane == "nova-api" }.map(\.label)
        #expect(answers.filter { $0.hasSuffix(": 202 Accepted") }.count == 3, "\(answers)")
        #expect(answers.contains { $0.hasPrefix("node-0001: stop: 409") && $0.hasSuffix("task_state powering-off") },
                "\(answers)")
        #expect(answers.contains { $0.hasPrefix("node-0001: start: 409") && $0.hasSuffix("task_state powering-on") },
                "\(answers)")
        #expect(answers.contains { $0.hasPrefix("node-0003: start: 409") && $0.hasSuffix("vm_state active") }, "\(answers)")
        let states = result.run.nodes.map { "\($0.bmcPowerOn) \($0.novaVMState ?? "-")" }
        #expect(states == ["true active", "false stopped", "true active"])
        #expect(result.differences(from: ScenarioWorld.run(scenario, seed: 1)) == [])
    }
}

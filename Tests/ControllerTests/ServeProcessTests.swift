import Controller
import ControllerCore
import Foundation
import Testing
import TestSupport
import VirtualBMC
import VirtualBMCCore

/// `ferrum serve` as a real process over a VirtualBMC fleet: API, sync, a power action, kill -9 and restart.
@Suite("ferrum serve", .serialized)
struct ServeProcessTests {
    static let secret = "s3cret-\(UUID().uuidString.prefix(8))"

    @Test("kill -9 mid-action: after a restart every node, history line and queued Nova event is there; the action is released")
    func killAndRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ferrum.conf").path
        try """
            # the sync records what the hardware says, so a button press becomes a Nova event
            [conductor]
            sync_power_state_interval = 1
            force_power_state_during_sync = false
            power_failure_recovery_interval = 0
            power_state_change_timeout = 120

            [ipmi]
            retransmit_interval = 0.2

            [database]
            connection = sqlite:///state/ferrum.sqlite
            """.write(toFile: config, atomically: true, encoding: .utf8)

        try await withFleet(count: 3, customize: { specs in
            for index in specs.indices {
                specs[index].users = [UserSpec(name: "admin", password: Self.secret)]
                specs[index].powerOn = index != 0
            }
            // Power-on takes a minute on this one, so its action is still running when the controller dies.
            specs[0].timings = ChassisTimings(powerTransition: .seconds(60))
        }) { fleet, specs in
            let instances = (0..<3).map { _ in UUID().uuidString.lowercased() }
            var server = try ServerProcess(ExternalTool.ferrum, ["serve", "--config", config, "--port", "0"])
            var base = try await "http://127.0.0.1:" + server.waitFor("API listening on http://127.0.0.1:(\\d+)")
            for (index, spec) in specs.enumerated() {
                let (status, _) = try await httpJSON("POST", "\(base)/v1/nodes", [
                    "name": "server-\(index)", "driver": "ipmi", "instance_uuid": instances[index],
                    "driver_info": ["ipmi_address": spec.address, "ipmi_port": spec.port, "ipmi_username": "admin",
                                    "ipmi_password": Self.secret] as [String: any Sendable],
                ])
                #expect(status == 201)
                for verb in ["manage", "provide"] {
                    let (moved, _) = try await httpJSON("PUT", "\(base)/v1/nodes/server-\(index)/states/provision",
                                                        ["target": verb])
                    #expect(moved == 202)
                }
            }
            let (_, shown) = try await httpJSON("GET", "\(base)/v1/nodes/server-0")
            let driverInfo = (shown as? [String: Any])?["driver_info"] as? [String: Any]
            #expect(driverInfo?["ipmi_password"] as? String == "******")

            // The sync fills in every state; then a power-button press is recorded by a later pass.
            try await waitUntil { try await powerStates(base) == ["power off", "power on", "power on"] }
            try fleet.pressPowerButton(specs[1].name)
            try await waitUntil { try await powerStates(base) == ["power off", "power off", "power on"] }

            let (accepted, _) = try await httpJSON("PUT", "\(base)/v1/nodes/server-0/states/power", ["target": "power on"])
            #expect(accepted == 202)
            let (busy, refusal) = try await httpJSON("PUT", "\(base)/v1/nodes/server-0/states/power", ["target": "power off"])
            #expect(busy == 409)
            #expect("\(refusal ?? "")".contains("already in progress"))
            let (bad, _) = try await httpJSON("PUT", "\(base)/v1/nodes/server-1/states/power", ["target": "sideways"])
            #expect(bad == 400)

            #expect(await server.kill9() == 9)
            let firstOutput = server.text

            // What the dead process left on disk: the claim, the states, and four queued events.
            let store = try await SQLiteStore.open(path: directory.appendingPathComponent("state/ferrum.sqlite").path)
            let nodes = try await store.loadNodes()
            #expect(nodes.map(\.powerState) == [.powerOff, .powerOff, .powerOn])
            #expect(nodes[0].targetPowerState == .powerOn)
            let queued = try await store.outbox(state: .pending, limit: 100)
            // The first pass's three are committed concurrently, so compare per instance: newest last.
            let tags = Dictionary(grouping: queued, by: \.event.serverUUID).mapValues { $0.map(\.event.tag) }
            #expect(tags == [instances[0]: [.powerOff], instances[1]: [.powerOn, .powerOff], instances[2]: [.powerOn]])
            try await store.close()

            server = try ServerProcess(ExternalTool.ferrum, ["serve", "--config", config, "--port", "0"])
            base = try await "http://127.0.0.1:" + server.waitFor("API listening on http://127.0.0.1:(\\d+)")
            let (_, states) = try await httpJSON("GET", "\(base)/v1/nodes/server-0/states")
            let released = states as? [String: Any]
            #expect(released?["target_power_state"] is NSNull)
            #expect(released?["last_error"] as? String == Node.abortedByRestartMessage)
            // Released, so a new request is accepted.
            let (again, _) = try await httpJSON("PUT", "\(base)/v1/nodes/server-0/states/power", ["target": "power off"])
            #expect(again == 202)
            #expect(await server.terminate() == 0, "SIGTERM shuts down gracefully")

            let reopened = try await SQLiteStore.open(path: directory.appendingPathComponent("state/ferrum.sqlite").path)
            #expect(try await reopened.outbox(state: .pending, limit: 100).count == 4, "nothing lost, nothing doubled")
            let history = try await reopened.history(nodeID: nodes[0].id, limit: 50)
            #expect(history.contains { $0.event == Node.abortedByRestartMessage })
            try await reopened.close()
            for output in [firstOutput, server.text] {
                #expect(!output.contains(Self.secret), "a password reached the logs")
                #expect(output.contains("ferrum.controller"))
            }
        }
    }

    @Test("log_format = json writes one JSON object per line; SIGTERM stops it cleanly")
    func jsonLogs() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ferrum.conf").path
        try "[DEFAULT]\nlog_format = json\n[database]\nconnection = sqlite:///ferrum.sqlite\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(ExternalTool.ferrum, ["serve", "--config", config, "--port", "0"])
        _ = try await server.waitFor("API listening on http://127.0.0.1:(\\d+)")
        #expect(await server.terminate() == 0)
        let logLines = server.text.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(logLines.contains { $0.contains("controller started") })
        for line in logLines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String, "\(line)")
        }
    }

    @Test("a bad config file is refused with its line, and nothing starts")
    func badConfig() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ferrum.conf").path
        try "[conductor]\nsync_power_state_interval = 120\nforce_power_state_during_sync = maybe\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await ExternalTool.run(ExternalTool.ferrum, ["serve", "--config", config], timeout: .seconds(30))
        #expect(result.status != 0)
        #expect(result.output.contains("ferrum.conf:3:"), "\(result.output)")
        #expect(result.output.contains("force_power_state_during_sync"), "\(result.output)")
    }
}

private func powerStates(_ base: String) async throws -> [String] {
    let (_, body) = try await httpJSON("GET", "\(base)/v1/nodes")
    let nodes = (body as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
    return nodes.map { $0["power_state"] as? String ?? "None" }
}

private func waitUntil(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("condition not met within \(timeout)")
    throw CancellationError()
}

import Controller
import ControllerCore
import Foundation
import Simulation
import Testing
import TestSupport
import VirtualBMC
import VirtualBMCCore

/// `ferrum serve` as a real process, Nova as the in-process fake: a change recorded while Nova is down survives a
/// kill -9 and reaches Nova after the restart, once.
@Suite("Nova end to end: ferrum serve killed before delivery", .serialized)
struct NovaServeEndToEndTests {
    static let secret = "s3cret-\(UUID().uuidString.prefix(8))"

    @Test("kill -9 with undelivered events (Nova in outage), restart with Nova up: delivered after the restart, once per state")
    func deliveredAfterRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-nova-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let instance = fakeInstanceUUID(0)
        try await withFakeNova([runningInstance(instance)]) { nova in
            try await nova.faults(["outage": true])
            let config = directory.appendingPathComponent("ferrum.conf").path
            try """
                [conductor]
                sync_power_state_interval = 1
                force_power_state_during_sync = false
                power_failure_recovery_interval = 0

                [ipmi]
                retransmit_interval = 0.2

                [database]
                connection = sqlite:///ferrum.sqlite

                [nova]
                auth_type = password
                auth_url = \(nova.base)
                username = ironic
                password = \(Self.secret)
                project_name = service
                region_name = RegionOne
                batch_window = 0.05
                """.write(toFile: config, atomically: true, encoding: .utf8)
            try await withFleet(count: 1, customize: { specs in
                specs[0].users = [UserSpec(name: "admin", password: Self.secret)]
                specs[0].powerOn = true
            }) { fleet, specs in
                var server = try ServerProcess(ExternalTool.ferrum, ["serve", "--config", config, "--port", "0"])
                var base = try await "http://127.0.0.1:" + server.waitFor("API listening on http://127.0.0.1:(\\d+)")
                let (created, _) = try await httpJSON("POST", "\(base)/v1/nodes", [
                    "name": "server-0", "driver": "ipmi", "instance_uuid": instance,
                    "driver_info": ["ipmi_address": specs[0].address, "ipmi_port": specs[0].port, "ipmi_username": "admin",
                                    "ipmi_password": Self.secret] as [String: any Sendable],
                ])
                #expect(created == 201)
                for verb in ["manage", "provide"] {
                    let (moved, _) = try await httpJSON("PUT", "\(base)/v1/nodes/server-0/states/provision", ["target": verb])
                    #expect(moved == 202)
                }
                // The first pass records power on; the press is recorded as power off by a later pass.
                try await eventually("power on recorded") { try await Self.powerState(base) == "power on" }
                try fleet.pressPowerButton(specs[0].name)
                try await eventually("power off recorded") { try await Self.powerState(base) == "power off" }
                let (_, health) = try await httpJSON("GET", "\(base)/health")
                #expect(((health as? [String: Any])?["nova"] as? [String: Any])?["status"] as? String == "ok",
                        "an outage is not a configuration error")
                #expect(await server.kill9() == 9)
                #expect(try await nova.events().isEmpty, "nothing reached Nova before the kill")

                let database = directory.appendingPathComponent("ferrum.sqlite").path
                var store = try await SQLiteStore.open(path: database)
                // Both changes are on disk; the older may already be settled as superseded by the newer.
                #expect(try await store.outbox(state: nil, limit: 10).map(\.event.tag) == [.powerOn, .powerOff])
                #expect(try await store.outbox(state: .pending, limit: 10).last?.event.tag == .powerOff)
                try await store.close()

                try await nova.faults(["outage": false])
                server = try ServerProcess(ExternalTool.ferrum, ["serve", "--config", config, "--port", "0"])
                base = try await "http://127.0.0.1:" + server.waitFor("API listening on http://127.0.0.1:(\\d+)")
                try await eventually("the instance is stopped") { try await nova.powerState(instance) == 4 }
                // A few more passes and notifier rounds: nothing is sent again.
                try await Task.sleep(for: .seconds(2))
                #expect(await server.terminate() == 0)

                let events = try await nova.events()
                let sent = events.compactMap { $0["tag"] as? String }
                #expect(sent.filter { $0 == "POWER_OFF" }.count == 1, "\(sent)")
                #expect(sent.filter { $0 == "POWER_ON" }.count <= 1, "\(sent)")
                #expect(sent.last == "POWER_OFF")
                store = try await SQLiteStore.open(path: database)
                #expect(try await store.outbox(state: .pending, limit: 10).isEmpty)
                #expect(try await store.outbox(state: .delivered, limit: 10).last?.event.tag == .powerOff)
                try await store.close()
                #expect(!server.text.contains(Self.secret), "a password reached the logs")
            }
        }
    }

    static func powerState(_ base: String) async throws -> String? {
        let (_, body) = try await httpJSON("GET", "\(base)/v1/nodes/server-0")
        return (body as? [String: Any])?["power_state"] as? String
    }
}

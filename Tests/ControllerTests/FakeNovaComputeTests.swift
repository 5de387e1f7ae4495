import Controller
import ControllerCore
import Foundation
import HummingbirdBcrypt
import Simulation
import TestSupport
import Testing

/// The fake Nova's compute model over real HTTP against Ferrum's Ironic API and a virtual BMC (nova.md §3.4).
@Suite("Fake Nova compute against Ferrum")
struct FakeNovaComputeTests {
    static let instance = "11111111-1111-4111-8111-111111111111"

    @Test("a node ON whose instance Nova holds as stopped: the sync force-stops it through Ferrum")
    func syncForceStopsThroughFerrum() async throws {
        try await withController(count: 1, customize: { $0[0].powerOn = true }, nodes: { specs in
            [Node(id: "node-0", name: "server-0",
                  driverInfo: DriverInfo(ipmiAddress: specs[0].address, ipmiPort: UInt16(specs[0].port),
                                         ipmiUsername: specs[0].users[0].name, ipmiPassword: specs[0].users[0].password),
                  powerState: .powerOn, provisionState: .active, instanceUUID: Self.instance, createdAt: .epoch)]
        }) { harness in
            try await withAPI(harness.controller) { ironic in
                var nova = FakeNova()
                nova.add(FakeNovaInstance(uuid: Self.instance, vmState: "stopped", powerState: 4, host: "compute-1",
                                          node: "node-0"))
                nova.compute.configuration.syncInterval = nil
                nova.compute.configuration.cacheRefreshInterval = nil
                nova.compute.configuration.ironicPollInterval = .milliseconds(200)
                let server = FakeNovaServer(nova, ironic: .init(baseURL: URL(string: ironic)!))
                let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
                let task = Task { try await server.serve(port: 0) { continuation.yield($0) } }
                defer { task.cancel() }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                let base = "http://127.0.0.1:\(port)"

                let (synced, _) = try await httpJSON("POST", base + "/_fake/sync")
                #expect(synced == 202)
                // Done when stop_instance has saved (or failed): its last words are in the compute log.
                let deadline = ContinuousClock.now + .seconds(30)
                var log = await server.nova.compute.log.map(\.message)
                while !log.contains(where: { $0.hasPrefix("Instance stopped") || $0.contains("failed") }),
                      ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    log = await server.nova.compute.log.map(\.message)
                }
                let row = await server.nova.instances[Self.instance]
                #expect(log.contains { $0.hasPrefix("Instance stopped") }, "\(log)")
                #expect(row?.vmState == "stopped")
                #expect(row?.powerState == 4)
                #expect(row?.taskState == nil)
                await harness.waitForAction(0)
                #expect(try harness.bmc(0).powerOn == false)
                #expect(try await harness.node(0).powerState == .powerOff)

                let token = try await Self.token(base)
                let (shown, server0) = try await httpJSON("GET", base + "/v2.1/servers/\(Self.instance)",
                                                          headers: ["X-Auth-Token": token])
                #expect(shown == 200)
                let view = (server0 as? [String: Any])?["server"] as? [String: Any]
                #expect(view?["status"] as? String == "SHUTOFF")
                #expect(view?["OS-EXT-STS:power_state"] as? Int == 4)
                #expect(view?["OS-EXT-STS:task_state"] is NSNull)
                #expect(view?["OS-EXT-SRV-ATTR:host"] as? String == "compute-1")
                let (noToken, _) = try await httpJSON("GET", base + "/v2.1/servers/\(Self.instance)")
                #expect(noToken == 401)
                let (_, actions) = try await httpJSON("GET", base + "/v2.1/servers/\(Self.instance)/os-instance-actions",
                                                      headers: ["X-Auth-Token": token])
                let listed = (actions as? [String: Any])?["instanceActions"] as? [[String: Any]]
                #expect(listed?.map { $0["action"] as? String } == ["stop"])
                let (_, logBody) = try await httpJSON("GET", base + "/_fake/log")
                let messages = ((logBody as? [String: Any])?["log"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
                #expect(messages.contains { $0.hasPrefix("Instance is not stopped. Calling the stop API.") })
                #expect(messages.contains { $0.contains("powered off Ironic node node-0") })
            }
        }
    }

    @Test("PUT /_fake/compute reconfigures; a sync without an Ironic URL logs the failure and changes nothing")
    func configureWithoutIronic() async throws {
        var nova = FakeNova()
        nova.add(FakeNovaInstance(uuid: Self.instance, vmState: "stopped", powerState: 4, host: "compute-1"))
        let server = FakeNovaServer(nova)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.serve(port: 0) { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let base = "http://127.0.0.1:\(try #require(await iterator.next()))"
        let (status, body) = try await httpJSON("PUT", base + "/_fake/compute",
                                                ["queued": true, "sync_interval": -1, "event_delay": 0.5, "pool_size": 2])
        #expect(status == 200)
        let configuration = body as? [String: Any]
        #expect(configuration?["queued"] as? Bool == true)
        #expect(configuration?["sync_interval"] is NSNull)
        #expect(configuration?["event_delay"] as? Double == 0.5)
        #expect(configuration?["pool_size"] as? Int == 2)
        let (synced, _) = try await httpJSON("POST", base + "/_fake/sync")
        #expect(synced == 202)
        try await Task.sleep(for: .milliseconds(300))
        let log = await server.nova.compute.log.map(\.message)
        #expect(log.contains { $0.contains("no Ironic URL configured") })
        #expect(await server.nova.instances[Self.instance]?.vmState == "stopped")
    }

    @Test("Ironic behind HTTP basic: the right credentials list nodes; wrong ones are a logged 401, not a hang")
    func basicCredentials() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-nova-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("htpasswd").path
        try "nova:\(Bcrypt.hash("s3cret", cost: 4))\n".write(toFile: file, atomically: true, encoding: .utf8)
        let users = try HtpasswdFile(path: file)
        try await withController(count: 1) { harness in
            try await withAPI(harness.controller, authentication: .httpBasic(users)) { ironic in
                for (password, expected) in [("s3cret", "Node cache refreshed: 1 nodes"), ("guess", "HTTP 401")] {
                    var nova = FakeNova()
                    nova.compute.configuration.syncInterval = nil
                    nova.compute.configuration.cacheRefreshInterval = nil
                    let server = FakeNovaServer(nova, ironic: .init(baseURL: URL(string: ironic)!, user: "nova", password: password))
                    await server.compute(.refreshCacheNow)
                    let deadline = ContinuousClock.now + .seconds(20)
                    var log = await server.nova.compute.log.map(\.message)
                    while log.isEmpty, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(50))
                        log = await server.nova.compute.log.map(\.message)
                    }
                    #expect(log.contains { $0.contains(expected) }, "\(log)")
                    #expect(!log.contains { $0.contains(password) }, "the password is never logged")
                }
            }
        }
    }

    static func token(_ base: String) async throws -> String {
        let user: [String: any Sendable] = ["user": ["id": "u1", "password": "s3cret"]]
        let identity: [String: any Sendable] = ["methods": ["password"], "password": user]
        let scope: [String: any Sendable] = ["project": ["id": "p1"]]
        let auth: [String: any Sendable] = ["auth": ["identity": identity, "scope": scope] as [String: any Sendable]]
        let (_, _, headers) = try await httpJSONWithHeaders("POST", base + "/v3/auth/tokens", auth)
        return try #require(headers["x-subject-token"])
    }
}

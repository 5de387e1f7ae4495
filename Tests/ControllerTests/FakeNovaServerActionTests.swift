import Controller
import ControllerCore
import Foundation
import Simulation
import TestSupport
import Testing

/// `POST /v2.1/servers/{id}/action` (os-stop, os-start) on the fake Nova, whose compute model powers the node
/// through Ferrum's Ironic API and a virtual BMC.
@Suite("Fake Nova server actions against Ferrum")
struct FakeNovaServerActionTests {
    static let instance = FakeNovaComputeTests.instance

    @Test("os-stop then os-start: 202s, 409 while mid-task, the node off then on, the row stopped then active")
    func stopThenStart() async throws {
        try await withController(count: 1, customize: { $0[0].powerOn = true }, nodes: { specs in
            [Node(id: "node-0", name: "server-0",
                  driverInfo: DriverInfo(ipmiAddress: specs[0].address, ipmiPort: UInt16(specs[0].port),
                                         ipmiUsername: specs[0].users[0].name, ipmiPassword: specs[0].users[0].password),
                  powerState: .powerOn, provisionState: .active, instanceUUID: Self.instance, createdAt: .epoch)]
        }) { harness in
            try await withAPI(harness.controller) { ironic in
                var nova = FakeNova()
                nova.add(FakeNovaInstance(uuid: Self.instance, vmState: "active", powerState: 1, host: "compute-1",
                                          node: "node-0"))
                nova.compute.configuration.syncInterval = nil
                nova.compute.configuration.cacheRefreshInterval = nil
                nova.compute.configuration.ironicPollInterval = .milliseconds(200)
                let server = FakeNovaServer(nova, ironic: .init(baseURL: URL(string: ironic)!))
                let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
                let task = Task { try await server.serve(port: 0) { continuation.yield($0) } }
                defer { task.cancel() }
                var iterator = ports.makeAsyncIterator()
                let base = "http://127.0.0.1:\(try #require(await iterator.next()))"
                let token = try await FakeNovaComputeTests.token(base)
                let action = base + "/v2.1/servers/\(Self.instance)/action"
                let auth = ["X-Auth-Token": token]

                let (stopped, _) = try await Self.post(action, "{\"os-stop\": null}", auth)
                #expect(stopped == 202)
                let (again, fault) = try await Self.post(action, "{\"os-stop\": null}", auth)
                #expect(again == 409)
                let conflict = (fault as? [String: Any])?["conflictingRequest"] as? [String: Any]
                #expect(conflict?["message"] as? String
                    == "Cannot 'stop' instance \(Self.instance) while it is in task_state powering-off")
                #expect(conflict?["code"] as? Int == 409)
                try await Self.waitForLog(server, "Instance stopped")
                await harness.waitForAction(0)
                #expect(try harness.bmc(0).powerOn == false)
                #expect(await server.nova.instances[Self.instance]?.vmState == "stopped")

                let (started, _) = try await Self.post(action, "{\"os-start\": null}", auth)
                #expect(started == 202)
                try await Self.waitForLog(server, "Instance started")
                await harness.waitForAction(0)
                #expect(try harness.bmc(0).powerOn == true)
                let row = await server.nova.instances[Self.instance]
                #expect(row?.vmState == "active" && row?.powerState == 1 && row?.taskState == nil)
                let (_, actions) = try await httpJSON("GET", base + "/v2.1/servers/\(Self.instance)/os-instance-actions",
                                                      headers: auth)
                let listed = (actions as? [String: Any])?["instanceActions"] as? [[String: Any]] ?? []
                #expect(listed.map { $0["action"] as? String } == ["start", "stop"])
                #expect(listed.allSatisfy { $0["origin"] as? String == "user" })
            }
        }
    }

    @Test("the action route: 401 without a token, 404 unknown, 400 malformed or unknown action")
    func refusals() async throws {
        var nova = FakeNova()
        nova.add(FakeNovaInstance(uuid: Self.instance, vmState: "active", powerState: 1, host: "compute-1"))
        let server = FakeNovaServer(nova)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.serve(port: 0) { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let base = "http://127.0.0.1:\(try #require(await iterator.next()))"
        let auth = ["X-Auth-Token": try await FakeNovaComputeTests.token(base)]
        let action = base + "/v2.1/servers/\(Self.instance)/action"

        let (noToken, _) = try await Self.post(action, "{\"os-stop\": null}", [:])
        #expect(noToken == 401)
        let (unknown, missing) = try await Self.post(base + "/v2.1/servers/nope/action", "{\"os-stop\": null}", auth)
        #expect(unknown == 404)
        #expect(((missing as? [String: Any])?["itemNotFound"] as? [String: Any])?["message"] as? String
            == "Instance nope could not be found.")
        let (malformed, _) = try await Self.post(action, "{os-stop", auth)
        #expect(malformed == 400)
        let (reboot, body) = try await httpJSON("POST", action, ["reboot": ["type": "HARD"]], headers: auth)
        #expect(reboot == 400)
        #expect((body as? [String: Any])?["badRequest"] != nil)
        #expect(await server.nova.instances[Self.instance]?.taskState == nil, "nothing was accepted")
    }

    /// A raw JSON body, since `{"os-stop": null}` has a null value.
    static func post(_ url: String, _ body: String, _ headers: [String: String]) async throws -> (Int, Any?) {
        let (status, decoded, _) = try await httpRaw("POST", url, Data(body.utf8), headers: headers)
        return (status, decoded)
    }

    static func waitForLog(_ server: FakeNovaServer, _ prefix: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var log = await server.nova.compute.log.map(\.message)
        while !log.contains(where: { $0.hasPrefix(prefix) || $0.contains("failed") }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            log = await server.nova.compute.log.map(\.message)
        }
        #expect(log.contains { $0.hasPrefix(prefix) }, "\(log)")
    }
}

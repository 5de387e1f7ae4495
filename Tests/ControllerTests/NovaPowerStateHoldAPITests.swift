import Controller
import ControllerCore
import Foundation
import HummingbirdBcrypt
import Testing
import TestSupport

/// `[nova] hold_power_state_until_applied` over real HTTP on loopback: the node API, a virtual BMC, and a Nova stub
/// answering `GET /v2.1/servers/{id}` (docs/nova-notifier.md, "Closing the race").
@Suite struct NovaPowerStateHoldAPITests {
    /// What nova-compute's Ironic driver sends (keystoneauth, no app_name): noauth identifies Nova by it.
    static let novaAgent = ["X-OpenStack-Ironic-API-Version": "latest",
                            "User-Agent": "nova-compute keystoneauth1/5.10.0 python-requests/2.32.3 CPython/3.12.3"]
    static let operatorAgent = ["X-OpenStack-Ironic-API-Version": "latest", "User-Agent": "openstacksdk/4.4.0"]
    static let stopped = NovaInstanceView(vmState: "stopped", powerState: 4, taskState: nil)
    static let active = NovaInstanceView(vmState: "active", powerState: 1, taskState: nil)

    /// Node 0 recorded off, its BMC off, instance `instance-0`; the API on loopback.
    func withHeldNode(hold: NovaPowerStateHold.Configuration,
                      _ body: (ControllerHarness, String) async throws -> Void) async throws {
        try await withController(count: 1, novaHold: hold, nodes: { specs in
            [makeNode(0, spec: specs[0], powerState: .powerOff)]
        }) { harness in
            try await withAPI(harness.controller) { base in try await body(harness, base) }
        }
    }

    func powerState(_ base: String, _ headers: [String: String], path: String = "/v1/nodes/node-0") async throws -> String? {
        let (status, body) = try await httpJSON("GET", base + path, headers: headers)
        #expect(status == 200)
        let object = body as? [String: Any]
        if let nodes = object?["nodes"] as? [[String: Any]] { return nodes.first?["power_state"] as? String }
        return object?["power_state"] as? String
    }

    func powerOn(_ base: String, _ headers: [String: String], _ harness: ControllerHarness) async throws {
        let (status, _) = try await httpJSON("PUT", base + "/v1/nodes/node-0/states/power", ["target": "power on"],
                                             headers: headers)
        #expect(status == 202)
        await harness.waitForAction(0)
        #expect(try harness.bmc(0).powerOn)
    }

    @Test("An operator's power-on: Nova reads power off until it shows the instance active/1, others read power on")
    func heldUntilNovaApplies() async throws {
        let stub = NovaStub()
        let (server, port) = try await NovaStub.serve(stub)
        defer { server.cancel() }
        await stub.setServer("instance-0", Self.stopped)
        try await withHeldNode(hold: .init(enabled: true, maximumHold: .seconds(120))) { harness, base in
            try await powerOn(base, Self.operatorAgent, harness)
            for path in ["/v1/nodes/node-0", "/v1/nodes/node-0/states", "/v1/nodes/detail", "/v1/nodes"] {
                #expect(try await powerState(base, Self.novaAgent, path: path) == "power off", "\(path)")
                #expect(try await powerState(base, Self.operatorAgent, path: path) == "power on", "\(path)")
            }
            #expect(harness.controller.novaHolds.count == 1)
            let client = URLSessionNovaClient(auth: .noauth(endpoint: URL(string: "http://127.0.0.1:\(port)/v2.1")!))
            let confirmer = NovaPowerStateConfirmer(holds: harness.controller.novaHolds, client: client)
            await confirmer.confirm()  // Nova still shows it stopped: held
            #expect(await stub.serverLookups == 1)
            #expect(try await powerState(base, Self.novaAgent) == "power off")
            #expect(await stub.serverLookups == 2, "Nova's read asked Nova first")
            await stub.setServer("instance-0", Self.active)
            await confirmer.confirm()
            #expect(await stub.serverLookups == 3)
            #expect(harness.controller.novaHolds.count == 0)
            #expect(try await powerState(base, Self.novaAgent) == "power on")
        }
    }

    @Test("Nova's read of a held node asks Nova first: once Nova shows the event applied, that same read sees the truth")
    func confirmedOnNovasRead() async throws {
        let stub = NovaStub()
        let (server, port) = try await NovaStub.serve(stub)
        defer { server.cancel() }
        await stub.setServer("instance-0", Self.stopped)
        try await withHeldNode(hold: .init(enabled: true, maximumHold: .seconds(120))) { harness, base in
            let client = URLSessionNovaClient(auth: .noauth(endpoint: URL(string: "http://127.0.0.1:\(port)/v2.1")!))
            _ = NovaPowerStateConfirmer(holds: harness.controller.novaHolds, client: client)  // never runs a round
            try await powerOn(base, Self.operatorAgent, harness)
            #expect(try await powerState(base, Self.operatorAgent) == "power on")
            #expect(await stub.serverLookups == 0, "operators' reads never ask Nova")
            #expect(try await powerState(base, Self.novaAgent, path: "/v1/nodes/detail") == "power off")
            #expect(await stub.serverLookups == 1)
            // nova-compute applied the event (active, and a sync may already have rewritten power_state to 4).
            await stub.setServer("instance-0", NovaInstanceView(vmState: "active", powerState: 4, taskState: nil))
            #expect(try await powerState(base, Self.novaAgent) == "power on")
            #expect(harness.controller.novaHolds.count == 0)
            #expect(try await powerState(base, Self.novaAgent) == "power on")
            #expect(await stub.serverLookups == 2, "no hold, no lookup")
        }
    }

    @Test("A hold ends after hold_maximum even if Nova never shows the event applied")
    func expiresAfterMaximum() async throws {
        try await withHeldNode(hold: .init(enabled: true, maximumHold: .seconds(1))) { harness, base in
            try await powerOn(base, Self.operatorAgent, harness)
            #expect(try await powerState(base, Self.novaAgent) == "power off")
            try await Task.sleep(for: .milliseconds(1_100))
            #expect(try await powerState(base, Self.novaAgent) == "power on")
            // Nova unreachable (nothing listens there): the confirmer still expires the hold.
            let client = URLSessionNovaClient(auth: .noauth(endpoint: URL(string: "http://127.0.0.1:9/v2.1")!))
            await NovaPowerStateConfirmer(holds: harness.controller.novaHolds, client: client).confirm()
            #expect(harness.controller.novaHolds.count == 0)
        }
    }

    @Test("Nova's own power request is not held: Nova reads back what it asked for")
    func novasOwnRequestPassesThrough() async throws {
        try await withHeldNode(hold: .init(enabled: true, maximumHold: .seconds(120))) { harness, base in
            try await powerOn(base, Self.novaAgent, harness)
            #expect(try await powerState(base, Self.novaAgent) == "power on")
            #expect(harness.controller.novaHolds.count == 0)
        }
    }

    @Test("http_basic: the users in nova_api_users are Nova; a nova-compute User-Agent alone is not")
    func basicAuthUsers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-hold-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("htpasswd").path
        let hash = Bcrypt.hash("s3cret", cost: 4)
        try "alice:\(hash)\nnova-svc:\(hash)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let users = try HtpasswdFile(path: file)
        func as_(_ user: String, agent: String = "python-requests/2.32") -> [String: String] {
            ["X-OpenStack-Ironic-API-Version": "latest", "User-Agent": agent,
             "Authorization": "Basic " + Data("\(user):s3cret".utf8).base64EncodedString()]
        }
        try await withController(count: 1, novaHold: .init(enabled: true, maximumHold: .seconds(120)), nodes: { specs in
            [makeNode(0, spec: specs[0], powerState: .powerOff)]
        }) { harness in
            try await withAPI(harness.controller, authentication: .httpBasic(users), novaAPIUsers: ["nova-svc"]) { base in
                try await powerOn(base, as_("alice"), harness)
                #expect(try await powerState(base, as_("nova-svc")) == "power off")
                #expect(try await powerState(base, as_("alice")) == "power on")
                #expect(try await powerState(base, as_("alice", agent: Self.novaAgent["User-Agent"]!)) == "power on")
            }
        }
    }

    @Test("Option off: Nova reads the same as everyone")
    func offMakesNoDifference() async throws {
        try await withHeldNode(hold: .init(enabled: false)) { harness, base in
            try await powerOn(base, Self.operatorAgent, harness)
            #expect(try await powerState(base, Self.novaAgent) == "power on")
            #expect(harness.controller.novaHolds.count == 0)
        }
    }
}

import Controller
import ControllerCore
import Foundation
import Hummingbird
import Testing
import TestSupport
import VirtualBMCCore

/// The node API over real HTTP on loopback, against a controller driving virtual BMCs.
@Suite("Node API")
struct NodeAPITests {
    @Test("enrol, show with secrets redacted, manage/provide, power, maintenance; every bad input is a 4xx in Ironic's error format")
    func routes() async throws {
        try await withController(count: 1, nodes: { _ in [] }) { harness in
            try await withAPI(harness.controller) { base in
                let spec = harness.specs[0]
                let info: [String: any Sendable] = ["ipmi_address": spec.address, "ipmi_port": "\(spec.port)",
                                                    "ipmi_username": "admin", "ipmi_password": "password"]
                var (status, body) = try await httpJSON("POST", "\(base)/v1/nodes", [
                    "name": "keyed", "driver": "ipmi", "driver_info": info.merging(["ipmi_hex_kg_key": "00ff"]) { $1 },
                ])
                #expect(status == 201)
                let keyed = (body as? [String: Any])?["driver_info"] as? [String: Any]
                #expect(keyed?["ipmi_hex_kg_key"] as? String == "******")
                (status, body) = try await httpJSON("POST", "\(base)/v1/nodes",
                                                    ["name": "web-1", "driver": "ipmi", "driver_info": info])
                #expect(status == 201)
                let created = body as? [String: Any]
                let uuid = try #require(created?["uuid"] as? String)
                let shownInfo = created?["driver_info"] as? [String: Any]
                #expect(shownInfo?["ipmi_password"] as? String == "******")
                #expect(shownInfo?["ipmi_hex_kg_key"] is NSNull || shownInfo?["ipmi_hex_kg_key"] == nil)
                #expect(created?["provision_state"] as? String == "enroll")
                #expect(created?["power_state"] is NSNull)

                (status, body) = try await httpJSON("GET", "\(base)/v1/nodes/\(uuid)")
                #expect(status == 200 && (body as? [String: Any])?["name"] as? String == "web-1")

                // Bad bodies, ids and targets.
                let bad: [(String, String, Any?, Int)] = [
                    ("POST", "/v1/nodes", ["name": "x"], 400),
                    ("POST", "/v1/nodes", ["driver": "redfish", "driver_info": info], 400),
                    ("POST", "/v1/nodes", ["driver_info": ["ipmi_port": 623] as [String: any Sendable]], 400),
                    ("POST", "/v1/nodes", ["driver": "ipmi", "driver_info": info.merging(["ipmi_port": 70000]) { $1 }], 400),
                    ("POST", "/v1/nodes", ["driver": "ipmi", "driver_info": info.merging(["ipmi_priv_level": "god"]) { $1 }], 400),
                    ("POST", "/v1/nodes", ["driver": "ipmi", "driver_info": info.merging(["ipmi_hex_kg_key": "zz"]) { $1 }], 400),
                    ("POST", "/v1/nodes", ["uuid": "not-a-uuid", "driver": "ipmi", "driver_info": info], 400),
                    ("POST", "/v1/nodes", ["driver": "ipmi", "driver_info": info, "colour": "red"], 400),
                    ("POST", "/v1/nodes", ["name": "web-1", "driver": "ipmi", "driver_info": info], 409),
                    ("GET", "/v1/nodes/nope", nil, 404),
                    ("PUT", "/v1/nodes/web-1/states/power", ["target": "sideways"], 400),
                    ("PUT", "/v1/nodes/web-1/states/power", ["target": "power on", "timeout": -1], 400),
                    ("PUT", "/v1/nodes/web-1/states/power", ["targ": "power on"], 400),
                    ("PUT", "/v1/nodes/nope/states/power", ["target": "power on"], 404),
                    ("PUT", "/v1/nodes/web-1/states/provision", ["target": "provide"], 400),
                    ("PUT", "/v1/nodes/web-1/states/provision", ["target": "deploy"], 400),
                    ("PATCH", "/v1/nodes/web-1", [["op": "replace", "path": "/power_state", "value": "power on"]], 400),
                    ("PATCH", "/v1/nodes/web-1", [["op": "move", "path": "/name", "from": "/x"]], 400),
                    ("PATCH", "/v1/nodes/web-1", ["op": "replace"], 400),
                    ("PATCH", "/v1/nodes/web-1", [["op": "replace", "path": "/name", "value": "keyed"]], 409),
                    ("PATCH", "/v1/nodes/web-1", [["op": "add", "path": "/driver_info/ipmi_port", "value": "x"]], 400),
                    ("GET", "/v1/nodes?limit=-1", nil, 400),
                    ("GET", "/v1/nodes?sort_key=driver_info", nil, 400),
                    ("GET", "/v1/nodes?marker=nope", nil, 400),
                    ("GET", "/v1/nodes?fields=uuid,bogus", nil, 400),
                    ("GET", "/v1/nodes?maintenance=perhaps", nil, 400),
                    ("GET", "/v1/nodes?colour=red", nil, 400),
                    ("GET", "/v1/nodes/detail?fields=uuid", nil, 400),
                ]
                for (method, path, payload, expected) in bad {
                    switch payload {
                    case let patch as [[String: any Sendable]]: (status, body) = try await httpJSON(method, base + path, patch)
                    default: (status, body) = try await httpJSON(method, base + path, payload as? [String: any Sendable])
                    }
                    #expect(status == expected, "\(method) \(path) \(String(describing: payload))")
                    let message = (body as? [String: Any])?["error_message"] as? String
                    let fault = message.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
                    #expect(fault?["faultstring"] is String, "\(method) \(path): Ironic's error body")
                }

                for verb in ["manage", "provide"] {
                    (status, _) = try await httpJSON("PUT", "\(base)/v1/nodes/web-1/states/provision", ["target": verb])
                    #expect(status == 202)
                }
                (status, _) = try await httpJSON("PUT", "\(base)/v1/nodes/web-1/states/power",
                                                 ["target": spec.powerOn ? "power off" : "power on", "timeout": 10])
                #expect(status == 202)
                await harness.controller.actor(for: "web-1")?.waitUntilIdle()
                (status, body) = try await httpJSON("GET", "\(base)/v1/nodes/web-1/states")
                #expect((body as? [String: Any])?["power_state"] as? String == (spec.powerOn ? "power off" : "power on"),
                        "\(String(describing: body))")
                #expect(try harness.fleet.show(spec.name).powerOn == !spec.powerOn)

                (status, _) = try await httpJSON("PUT", "\(base)/v1/nodes/web-1/maintenance", ["reason": "disk swap"])
                #expect(status == 202)
                (_, body) = try await httpJSON("GET", "\(base)/v1/nodes/web-1")
                #expect((body as? [String: Any])?["maintenance_reason"] as? String == "disk swap")
                (status, _) = try await httpJSON("DELETE", "\(base)/v1/nodes/web-1/maintenance")
                #expect(status == 202)
                (_, body) = try await httpJSON("GET", "\(base)/v1/nodes")
                let listed = ((body as? [String: Any])?["nodes"] as? [[String: Any]])?.first { $0["name"] as? String == "web-1" }
                #expect(listed?["maintenance"] as? Bool == false)
                (status, body) = try await httpJSON("GET", "\(base)/health")
                #expect(status == 200 && (body as? [String: Any])?["nodes"] as? Int == 2)
            }
        }
    }
}

/// Serves the node API on a free loopback port while `body` runs.
func withAPI(_ controller: PowerController, authentication: APIAuthentication = .none, nova: NovaNotifier? = nil,
             novaAPIUsers: [String] = ["nova"], _ body: (String) async throws -> Void) async throws {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(router: NodeAPI.router(for: controller, authentication: authentication, nova: nova,
                                                 novaAPIUsers: novaAPIUsers),
                          configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        do {
            try await body("http://127.0.0.1:\(port)")
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

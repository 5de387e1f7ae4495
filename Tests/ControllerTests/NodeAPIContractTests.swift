import Controller
import ControllerCore
import Foundation
import HummingbirdBcrypt
import Testing
import TestSupport

/// Ironic's API contract (ironic.md §10): microversions, discovery, list paging and filters, PATCH, DELETE, auth.
@Suite("Node API contract")
struct NodeAPIContractTests {
    static let info: [String: any Sendable] = ["ipmi_address": "127.0.0.1", "ipmi_port": 6230, "ipmi_username": "admin",
                                               "ipmi_password": "pw"]

    @Test("microversions: headers on every answer, 1.1 without a header, 406 outside the range, discovery documents")
    func microversions() async throws {
        try await withController(count: 1, nodes: { _ in [] }) { harness in
            try await withAPI(harness.controller) { base in
                var (status, body, headers) = try await httpJSONWithHeaders("GET", "\(base)/", headers: [:])
                #expect(status == 200)
                #expect(headers["x-openstack-ironic-api-minimum-version"] == "1.1")
                #expect(headers["x-openstack-ironic-api-maximum-version"] == "1.95")
                #expect(headers["x-openstack-ironic-api-version"] == "1.1")
                #expect(headers["x-openstack-request-id"]?.hasPrefix("req-") == true)
                let versions = (body as? [String: Any])?["versions"] as? [[String: Any]]
                #expect(versions?.first?["version"] as? String == "1.95")
                #expect(versions?.first?["min_version"] as? String == "1.1")
                (status, body, _) = try await httpJSONWithHeaders("GET", "\(base)/v1", headers: [:])
                #expect((body as? [String: Any])?["version"] as? [String: Any] != nil)
                #expect((body as? [String: Any])?["nodes"] != nil)

                for bad in ["1.96", "2.1", "1.x", "banana", "1."] {
                    (status, body, headers) = try await httpJSONWithHeaders(
                        "GET", "\(base)/v1/nodes", headers: ["X-OpenStack-Ironic-API-Version": bad])
                    #expect(status == 406, "\(bad)")
                    #expect(headers["x-openstack-ironic-api-maximum-version"] == "1.95", "406 answers carry the range")
                }
                (status, _, headers) = try await httpJSONWithHeaders(
                    "GET", "\(base)/v1/nodes", headers: ["OpenStack-API-Version": "baremetal 1.50"])
                #expect(status == 200 && headers["x-openstack-ironic-api-version"] == "1.50")

                // Below 1.5 a name is refused; below 1.11 a new node starts available, and before 1.2 that shows as null.
                (status, _) = try await httpJSON("POST", "\(base)/v1/nodes", ["driver": "ipmi", "name": "old", "driver_info": Self.info],
                                                 headers: ["X-OpenStack-Ironic-API-Version": "1.4"])
                #expect(status == 406)
                (status, body) = try await httpJSON("POST", "\(base)/v1/nodes", ["driver": "ipmi", "driver_info": Self.info],
                                                    headers: [:])
                #expect(status == 201)
                let created = body as? [String: Any]
                #expect(created?["provision_state"] is NSNull, "available shows as null at 1.1")
                #expect(created?["name"] == nil, "name is hidden below 1.5")
                (_, body) = try await httpJSON("GET", "\(base)/v1/nodes/\(created?["uuid"] as? String ?? "")/states",
                                               headers: ["X-OpenStack-Ironic-API-Version": "1.9"])
                #expect((body as? [String: Any])?["provision_state"] as? String == "available")
                (status, _) = try await httpJSON("PUT", "\(base)/v1/nodes/\(created?["uuid"] as? String ?? "")/states/power",
                                                 ["target": "soft power off"], headers: ["X-OpenStack-Ironic-API-Version": "1.26"])
                #expect(status == 406, "soft targets need 1.27")
            }
        }
    }

    @Test("list: default fields, fields, detail, filters, limit with next and marker, sorting")
    func list() async throws {
        try await withController(count: 1, nodes: { _ in [] }) { harness in
            try await withAPI(harness.controller) { base in
                for index in 0..<5 {
                    var body: [String: any Sendable] = ["driver": "ipmi", "name": "n\(index)", "driver_info": Self.info]
                    if index < 2 { body["instance_uuid"] = UUID().uuidString.lowercased() }
                    #expect(try await httpJSON("POST", "\(base)/v1/nodes", body).0 == 201)
                }
                #expect(try await httpJSON("PUT", "\(base)/v1/nodes/n4/maintenance", ["reason": "x"]).0 == 202)
                var (_, body) = try await httpJSON("GET", "\(base)/v1/nodes")
                var nodes = (body as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
                #expect(nodes.count == 5)
                #expect(Set(nodes[0].keys) == ["uuid", "name", "instance_uuid", "power_state", "provision_state", "maintenance", "links"])
                (_, body) = try await httpJSON("GET", "\(base)/v1/nodes/detail")
                nodes = (body as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
                #expect(nodes.first?["driver_info"] != nil && nodes.first?["fault"] != nil)
                #expect((nodes.first?["driver_info"] as? [String: Any])?["ipmi_password"] as? String == "******")
                (_, body) = try await httpJSON("GET", "\(base)/v1/nodes?fields=name,power_state")
                nodes = (body as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
                #expect(Set(nodes[0].keys) == ["uuid", "name", "power_state"])
                (_, body) = try await httpJSON("GET", "\(base)/v1/nodes?associated=true")
                #expect(((body as? [String: Any])?["nodes"] as? [Any])?.count == 2)
                (_, body) = try await httpJSON("GET", "\(base)/v1/nodes?maintenance=True")
                #expect(((body as? [String: Any])?["nodes"] as? [[String: Any]])?.map { $0["name"] as? String } == ["n4"])
                (_, body) = try await httpJSON("GET", "\(base)/v1/nodes?provision_state=enroll&sort_key=name&sort_dir=desc")
                #expect(((body as? [String: Any])?["nodes"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                        == ["n4", "n3", "n2", "n1", "n0"])

                // Paging: follow `next` until it stops; every node exactly once, in order.
                var url = "\(base)/v1/nodes?limit=2"
                var names: [String] = []
                while true {
                    (_, body) = try await httpJSON("GET", url)
                    names += ((body as? [String: Any])?["nodes"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
                    guard let next = (body as? [String: Any])?["next"] as? String else { break }
                    #expect(next.contains("marker=") && next.contains("limit=2"))
                    url = next
                }
                #expect(names == ["n0", "n1", "n2", "n3", "n4"])
            }
        }
    }

    @Test("PATCH edits name, instance, driver_info keys, extra and maintenance; DELETE follows Ironic's rules")
    func patchAndDelete() async throws {
        try await withController(count: 1, nodes: { _ in [] }) { harness in
            try await withAPI(harness.controller) { base in
                #expect(try await httpJSON("POST", "\(base)/v1/nodes", ["driver": "ipmi", "name": "a", "driver_info": Self.info]).0 == 201)
                let instance = UUID().uuidString.lowercased()
                var (status, body) = try await httpJSON("PATCH", "\(base)/v1/nodes/a", [
                    ["op": "replace", "path": "/name", "value": "b"],
                    ["op": "add", "path": "/instance_uuid", "value": instance],
                    ["op": "replace", "path": "/driver_info/ipmi_port", "value": 6231],
                    ["op": "add", "path": "/extra/rack", "value": "r12"],
                    ["op": "replace", "path": "/maintenance", "value": true],
                    ["op": "add", "path": "/maintenance_reason", "value": "fans"],
                ] as [[String: any Sendable]])
                #expect(status == 200)
                let node = body as? [String: Any]
                #expect(node?["name"] as? String == "b")
                #expect(node?["instance_uuid"] as? String == instance)
                #expect((node?["driver_info"] as? [String: Any])?["ipmi_port"] as? Int == 6231)
                #expect((node?["driver_info"] as? [String: Any])?["ipmi_password"] as? String == "******", "other keys kept")
                #expect((node?["extra"] as? [String: Any])?["rack"] as? String == "r12")
                #expect(node?["maintenance"] as? Bool == true && node?["maintenance_reason"] as? String == "fans")
                #expect(try await httpJSON("GET", "\(base)/v1/nodes/a").0 == 404, "the old name is gone")
                let stored = await harness.controller.actor(for: "b")?.node
                #expect(stored?.driverInfo.ipmiPassword?.revealed == "pw", "the real password survives a driver_info patch")

                (status, _) = try await httpJSON("PATCH", "\(base)/v1/nodes/b",
                                                 [["op": "replace", "path": "/instance_uuid", "value": UUID().uuidString]])
                #expect(status == 409, "already associated")
                #expect(try await httpJSON("DELETE", "\(base)/v1/nodes/b").0 == 409, "associated nodes are not deleted")
                (status, body) = try await httpJSON("PATCH", "\(base)/v1/nodes/b", [
                    ["op": "remove", "path": "/instance_uuid"], ["op": "replace", "path": "/maintenance", "value": false],
                ] as [[String: any Sendable]])
                #expect(status == 200 && (body as? [String: Any])?["maintenance_reason"] is NSNull)
                (status, _) = try await httpJSON("DELETE", "\(base)/v1/nodes/b")
                #expect(status == 204)
                #expect(try await httpJSON("GET", "\(base)/v1/nodes/b").0 == 404)
                #expect(await harness.controller.nodeCount == 0)
            }
        }
    }

    @Test("garbage bodies, ids, query strings and version headers on every route: always a 4xx in Ironic's format, never a 5xx")
    func garbage() async throws {
        try await withController(count: 1, nodes: { _ in [] }) { harness in
            try await withAPI(harness.controller) { base in
                #expect(try await httpJSON("POST", "\(base)/v1/nodes", ["driver": "ipmi", "name": "g", "driver_info": Self.info]).0 == 201)
                let routes = [("POST", "/v1/nodes"), ("PATCH", "/v1/nodes/g"), ("PUT", "/v1/nodes/g/states/power"),
                              ("PUT", "/v1/nodes/g/states/provision"), ("PUT", "/v1/nodes/g/maintenance")]
                var random = SystemRandomNumberGenerator()
                var bodies: [Data] = ["", "{", "[]", "null", "123", "\"x\"", "{\"target\": 5}", "[{\"op\": 1}]",
                                      "{\"target\": \"power on\", \"timeout\": \"soon\"}", "[{\"op\":\"add\",\"path\":\"/\"}]",
                                      "{\"driver\": \"ipmi\", \"driver_info\": []}", "{\"reason\": {}}"].map { Data($0.utf8) }
                for _ in 0..<20 { bodies.append(Data((0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })) }
                for (method, path) in routes {
                    for body in bodies {
                        let (status, decoded, _) = try await httpRaw(method, base + path, body)
                        // An empty JSON Patch is valid and answers the node (emptyPatch).
                        let emptyPatch = method == "PATCH" && body == Data("[]".utf8) && status == 200
                        #expect((400..<500).contains(status) || status == 202 || emptyPatch,
                                "\(method) \(path) with \(String(decoding: body, as: UTF8.self).debugDescription) → \(status)")
                        if status >= 400 {
                            #expect((decoded as? [String: Any])?["error_message"] is String, "\(method) \(path) → Ironic's error body")
                        }
                    }
                }
                for path in ["/v1/nodes/%00", "/v1/nodes/\(String(repeating: "x", count: 2000))", "/v1/nodes?limit=abc",
                             "/v1/nodes?marker=%FF", "/v1/nodes?fields=", "/v1/nodes?sort_dir=sideways"] {
                    let (status, _, _) = try await httpRaw("GET", base + path, nil)
                    #expect((400..<500).contains(status), "GET \(path) → \(status)")
                }
                for header in ["1.", "x.y", "1.99999999999999999999", "", "latest latest", "baremetal 1.5"] {
                    let (status, _, _) = try await httpRaw("GET", "\(base)/v1/nodes", nil, headers: ["X-OpenStack-Ironic-API-Version": header])
                    #expect(status == 406 || (header.isEmpty && status == 200), "version header \(header.debugDescription) → \(status)")
                }
                #expect(await harness.controller.nodeCount == 1, "nothing half-written")
            }
        }
    }

    @Test("an empty JSON Patch is valid: 200 with the node, nothing changed (openstacksdk's update_node sends one)")
    func emptyPatch() async throws {
        try await withController(count: 1, nodes: { _ in [] }) { harness in
            try await withAPI(harness.controller) { base in
                #expect(try await httpJSON("POST", "\(base)/v1/nodes", ["driver": "ipmi", "name": "e", "driver_info": Self.info]).0 == 201)
                #expect(try await httpJSON("PUT", "\(base)/v1/nodes/e/maintenance", ["reason": "fans"]).0 == 202)
                let (status, body) = try await httpJSON("PATCH", "\(base)/v1/nodes/e", [] as [[String: any Sendable]])
                #expect(status == 200)
                let node = body as? [String: Any]
                #expect(node?["name"] as? String == "e")
                #expect(node?["maintenance"] as? Bool == true && node?["maintenance_reason"] as? String == "fans")
                #expect((node?["driver_info"] as? [String: Any])?["ipmi_password"] as? String == "******")
                #expect(try await httpJSON("PATCH", "\(base)/v1/nodes/e", ["op": "add"]).0 == 400, "an object is not a patch")
            }
        }
    }

    @Test("http_basic: public discovery, 401 without or with wrong credentials, 400 for a malformed header, bcrypt $2y$ accepted")
    func basicAuth() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("htpasswd").path
        // Apache's htpasswd -B writes $2y$; the hash is the same algorithm.
        let hash = "$2y$" + Bcrypt.hash("s3cret", cost: 4).dropFirst(4)
        try "# operators\nalice:\(hash)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let users = try HtpasswdFile(path: file)
        try await withController(count: 1, nodes: { _ in [] }) { harness in
            try await withAPI(harness.controller, authentication: .httpBasic(users)) { base in
                #expect(try await httpJSON("GET", "\(base)/").0 == 200)
                #expect(try await httpJSON("GET", "\(base)/v1").0 == 200)
                // curl, not URLSession: Foundation on Linux never completes a task answered 401 with a challenge
                // (swift-corelibs-foundation#5456).
                let curl = try #require(ExternalTool.find("curl"))
                var answer = try await ExternalTool.run(curl, ["-s", "-i", "\(base)/v1/nodes"])
                #expect(answer.output.contains("HTTP/1.1 401"))
                #expect(answer.output.lowercased().contains("www-authenticate: basic realm=\"baremetal api\""))
                #expect(answer.output.contains(#""message":"Authorization required""#))
                let good = "Basic " + Data("alice:s3cret".utf8).base64EncodedString()
                let wrong = "Basic " + Data("alice:guess".utf8).base64EncodedString()
                answer = try await ExternalTool.run(curl, ["-s", "-i", "-H", "Authorization: \(wrong)", "\(base)/v1/nodes"])
                #expect(answer.output.contains("HTTP/1.1 401") && answer.output.contains("Incorrect username or password"))
                answer = try await ExternalTool.run(curl, ["-s", "-i", "-H", "Authorization: Bearer x", "\(base)/v1/nodes"])
                #expect(answer.output.contains("HTTP/1.1 400"))
                let (status, _, _) = try await httpJSONWithHeaders("GET", "\(base)/v1/nodes", headers: ["Authorization": good])
                #expect(status == 200)
            }
        }
    }
}

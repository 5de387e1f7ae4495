import Foundation
import Simulation
import TestSupport
import Testing

/// The HTTP shell on 127.0.0.1: Keystone token → catalog → events POST → inspection.
@Suite struct FakeNovaServerTests {
    @Test func token_then_events_then_inspection() async throws {
        let server = FakeNovaServer()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.serve(port: 0) { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let base = "http://127.0.0.1:\(port)"
        let uuid = "11111111-1111-4111-8111-111111111111"
        let json = ["Accept": "application/json"]

        let (created, _) = try await httpJSON("POST", base + "/_fake/instances", ["uuid": uuid, "host": "c1", "power_state": 1] as [String: any Sendable], headers: json)
        #expect(created == 201)

        let user: [String: any Sendable] = ["user": ["id": "u1", "password": "s3cret"]]
        let identity: [String: any Sendable] = ["methods": ["password"], "password": user]
        let scope: [String: any Sendable] = ["project": ["id": "p1"]]
        let auth: [String: any Sendable] = ["auth": ["identity": identity, "scope": scope] as [String: any Sendable]]
        let (status, body, headers) = try await httpJSONWithHeaders("POST", base + "/v3/auth/tokens", auth, headers: json)
        #expect(status == 201)
        let token = try #require(headers["x-subject-token"])
        let catalog = (((body as? [String: Any])?["token"] as? [String: Any])?["catalog"] as? [[String: Any]]) ?? []
        let compute = catalog.first { $0["type"] as? String == "compute" }?["endpoints"] as? [[String: Any]] ?? []
        let endpoint = try #require(compute.first { $0["interface"] as? String == "internal" }?["url"] as? String)
        #expect(endpoint == base + "/v2.1")

        let events: [String: any Sendable] = ["events": [["name": "power-update", "server_uuid": uuid, "tag": "POWER_OFF"]]]
        let (noToken, _) = try await httpJSON("POST", endpoint + "/os-server-external-events", events,
                                              headers: ["OpenStack-API-Version": "compute 2.76"])
        #expect(noToken == 401)
        let (sent, answer, answerHeaders) = try await httpJSONWithHeaders(
            "POST", endpoint + "/os-server-external-events", events,
            headers: ["X-Auth-Token": token, "OpenStack-API-Version": "compute 2.76"])
        #expect(sent == 200)
        #expect(answerHeaders["openstack-api-version"] == "compute 2.76")
        #expect(((answer as? [String: Any])?["events"] as? [[String: Any]])?.first?["code"] as? Int == 200)

        let (_, received) = try await httpJSON("GET", base + "/_fake/events", headers: json)
        let record = ((received as? [String: Any])?["events"] as? [[String: Any]])?.first
        #expect(record?["outcome"] as? String == "applied")
        let (_, instances) = try await httpJSON("GET", base + "/_fake/instances", headers: json)
        #expect(((instances as? [String: Any])?["instances"] as? [[String: Any]])?.first?["vm_state"] as? String == "stopped")

        let (faulted, _) = try await httpJSON("PUT", base + "/_fake/faults", ["fail_next": 1], headers: json)
        #expect(faulted == 200)
        let (failed, _) = try await httpJSON("POST", endpoint + "/os-server-external-events", events,
                                             headers: ["X-Auth-Token": token, "OpenStack-API-Version": "compute 2.76"])
        #expect(failed == 503)
        let (discovery, versions) = try await httpJSON("GET", base + "/", headers: json)
        #expect(discovery == 200)
        #expect(((versions as? [String: Any])?["versions"] as? [[String: Any]])?.last?["version"] as? String == "2.104")
    }
}

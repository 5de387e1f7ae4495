import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IPMI
import Testing
import VirtualBMC
import VirtualBMCCore

/// The management HTTP API over real HTTP on 127.0.0.1.
@Suite("VirtualBMC management API", .serialized)
struct ManagementAPITests {
    struct HTTP {
        let base: String

        func call(_ method: String, _ path: String, json: String? = nil) async throws -> (status: Int, body: String) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = method
            if let json {
                request.httpBody = Data(json.utf8)
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
    }

    /// Serves the API for `fleet` on a free port while `body` runs.
    func withAPI(_ fleet: Fleet, _ body: (HTTP) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = Task { try await ManagementAPI.serve(fleet, port: 0) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw MissingTool(name: "the management API port") }
        do {
            try await body(HTTP(base: "http://127.0.0.1:\(port)"))
        } catch {
            server.cancel()
            throw error
        }
        server.cancel()
    }

    @Test("list, add, show, press, faults, stop/start, delete; errors map to 400/404/409; passwords never returned")
    func lifecycle() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("fleet.yaml").path

        try await withFleet(count: 2, configurationPath: path) { fleet, specs in
            try await withAPI(fleet) { http in
                var reply = try await http.call("GET", "/bmcs")
                #expect(reply.status == 200 && reply.body.contains(specs[1].name))

                let newPort = specs[1].port + 1
                let secret = "pw-\(UUID().uuidString.prefix(6))"
                reply = try await http.call("POST", "/bmcs", json: #"{"name":"extra","port":\#(newPort),"password":"\#(secret)","power":"on"}"#)
                #expect(reply.status == 201, "\(reply.body)")
                #expect(!reply.body.contains(secret))
                #expect(try fleet.show("extra").powerOn)

                reply = try await http.call("POST", "/bmcs", json: #"{"name":"extra","port":\#(newPort + 1)}"#)
                #expect(reply.status == 409, "duplicate name: \(reply.body)")
                reply = try await http.call("POST", "/bmcs", json: #"{"name":"other","port":\#(newPort)}"#)
                #expect(reply.status == 409, "endpoint in use: \(reply.body)")
                reply = try await http.call("POST", "/bmcs", json: #"{"name":"far","port":\#(newPort + 2),"address":"192.0.2.1"}"#)
                #expect(reply.status == 400, "not loopback: \(reply.body)")
                reply = try await http.call("POST", "/bmcs", json: #"{"name": 5}"#)
                #expect(reply.status == 400, "bad body: \(reply.body)")
                reply = try await http.call("GET", "/bmcs/nope")
                #expect(reply.status == 404)

                reply = try await http.call("POST", "/bmcs/\(specs[0].name)/power-button")
                #expect(reply.status == 200)
                #expect(try fleet.show(specs[0].name).powerOn, "the button turned it on")

                reply = try await http.call("PUT", "/bmcs/\(specs[0].name)/faults", json: #"{"stuck_power":true,"latency_ms":5}"#)
                #expect(reply.status == 200 && reply.body.contains("stuck"), "\(reply.body)")
                #expect(try fleet.show(specs[0].name).faults.stuckPower)
                reply = try await http.call("PUT", "/bmcs/\(specs[0].name)/faults", json: #"{"packet_loss":2}"#)
                #expect(reply.status == 400, "probability above 1: \(reply.body)")
                reply = try await http.call("PUT", "/bmcs/\(specs[0].name)/faults", json: #"{"latency_ms":-5}"#)
                #expect(reply.status == 400, "negative latency: \(reply.body)")
                reply = try await http.call("PUT", "/bmcs/\(specs[0].name)/faults", json: #"{"stuck_power":"yes"}"#)
                #expect(reply.status == 400, "wrong type: \(reply.body)")
                reply = try await http.call("DELETE", "/bmcs/\(specs[0].name)/faults")
                #expect(try !fleet.show(specs[0].name).faults.stuckPower)

                reply = try await http.call("PUT", "/faults", json: #"{"share":0.5,"faults":{"busy":0.5}}"#)
                #expect(reply.status == 200)
                let chosen = try JSONDecoder().decode(ChosenBody.self, from: Data(reply.body.utf8)).names
                #expect(chosen.count == 2)

                reply = try await http.call("POST", "/bmcs/extra/stop")
                #expect(reply.status == 200)
                #expect(try !fleet.isRunning("extra"))
                reply = try await http.call("POST", "/bmcs/extra/start")
                #expect(try fleet.isRunning("extra"))

                // The file on disk follows every change, so a restart restores this fleet.
                let saved = try FleetConfiguration(yaml: String(contentsOfFile: path, encoding: .utf8))
                #expect(saved.bmcs.map(\.name) == specs.map(\.name) + ["extra"])
                #expect(saved.bmcs.filter { $0.faults.busy == 0.5 }.count == 2)

                reply = try await http.call("DELETE", "/bmcs/extra")
                #expect(reply.status == 204)
                reply = try await http.call("GET", "/bmcs/extra")
                #expect(reply.status == 404)
                let afterDelete = try FleetConfiguration(yaml: String(contentsOfFile: path, encoding: .utf8))
                #expect(afterDelete.bmcs.map(\.name) == specs.map(\.name))

                let all = try await http.call("GET", "/bmcs")
                #expect(!all.body.contains("password"), "no secrets in the API: \(all.body)")
            }
        }
    }
}

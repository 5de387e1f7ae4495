import Controller
import ControllerCore
import Foundation
import Testing
import TestSupport

/// `[nova] cafile` against an HTTPS Nova stub on 127.0.0.1: a CA and a server certificate made with openssl in a
/// temporary directory, served by python3's http.server wrapped in ssl.
@Suite("NovaNotifier over HTTPS: [nova] cafile", .serialized)
struct NovaTLSTests {
    /// Answers every external-events POST with 200 per event, and prints one line per request.
    static let stub = #"""
        import http.server, json, ssl, sys
        class Nova(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                events = [dict(e, code=200, status="completed") for e in body["events"]]
                answer = json.dumps({"events": events}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                print("request with", len(events), "events", flush=True)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Nova)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
        print("listening on", server.server_address[1], flush=True)
        server.serve_forever()
        """#

    /// A CA, a server certificate for IP 127.0.0.1 signed by it, and a second CA that signed nothing.
    static func makeCertificates(in directory: URL) async throws {
        let openssl = try #require(ExternalTool.find("openssl"), "openssl is not installed: run scripts/test")
        func run(_ arguments: [String]) async throws {
            let result = try await ExternalTool.run(openssl, arguments)
            #expect(result.status == 0, "openssl \(arguments.joined(separator: " ")): \(result.output)")
        }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        try "subjectAltName = IP:127.0.0.1\n".write(toFile: path("san.cnf"), atomically: true, encoding: .utf8)
        for ca in ["ca", "other-ca"] {
            try await run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(ca).key"), "-out", path("\(ca).pem"),
                           "-days", "2", "-subj", "/CN=Ferrum test \(ca)"])
        }
        try await run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"),
                       "-subj", "/CN=127.0.0.1"])
        try await run(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                       "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", path("san.cnf")])
    }

    @Test("with the CA as cafile: delivered; without it, or with another CA: a TLS error and the event stays pending")
    func cafileTrusted() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await Self.makeCertificates(in: directory)
        let script = directory.appendingPathComponent("nova.py").path
        try Self.stub.write(toFile: script, atomically: true, encoding: .utf8)
        let python = try #require(ExternalTool.find("python3"))
        let server = try ServerProcess(python, [script, directory.appendingPathComponent("server.pem").path,
                                                directory.appendingPathComponent("server.key").path])
        defer { Task { _ = await server.terminate() } }
        let port = try await server.waitFor("listening on (\\d+)")
        let auth = NovaAuth.noauth(endpoint: URL(string: "https://127.0.0.1:\(port)/v2.1")!)
        let body = Array(#"{"events":[{"name":"power-update","server_uuid":"\#(NovaNotifierTests.uuids[0])","tag":"POWER_ON"}]}"#.utf8)

        // The system trust store does not know this CA.
        let untrusted = await URLSessionNovaClient(auth: auth).send(body: body, timeout: .seconds(10))
        #expect("\(untrusted)".contains("TLS"), "\(untrusted)")
        let wrongCA = await URLSessionNovaClient(auth: auth, cafile: directory.appendingPathComponent("other-ca.pem").path)
            .send(body: body, timeout: .seconds(10))
        #expect("\(wrongCA)".contains("TLS handshake failed"), "\(wrongCA)")
        #expect(!server.text.contains("request with"), "no request got through")

        // A notifier without the CA loses nothing: the event waits in the outbox.
        let store = try await NovaNotifierTests.store(nodes: 1)
        try await NovaNotifierTests.queue(store, [(0, .powerOn)])
        try await withNotifier(store, auth) { _ in try await Task.sleep(for: .seconds(1)) }
        #expect(try await pendingCount(store) == 1)
        #expect(try await store.outbox(state: .dropped, limit: 10).isEmpty)

        // With the CA: delivered.
        try await withNotifier(store, auth, cafile: directory.appendingPathComponent("ca.pem").path) { _ in
            try await eventually("delivered over HTTPS") { try await pendingCount(store) == 0 }
        }
        #expect(try await store.outbox(state: .delivered, limit: 10).count == 1)
        #expect(server.text.contains("request with 1 events"), "\(server.text)")
    }
}

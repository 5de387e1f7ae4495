import Controller
import ControllerCore
import Foundation
import Testing
import TestSupport

/// `[nova] cafile` against an HTTPS Nova stub on 127.0.0.1: a CA and a server certificate made with openssl in a
/// temporary directory, served by python3's http.server wrapped in ssl.
@Suite("NovaNotifier over HTTPS: [nova] cafile", .serialized)
struct NovaTLSTests {
    /// A Keystone (`POST /v3/auth/tokens`, catalog pointing back here) and a Nova that answers 200 per event to the
    /// token it issued (or none) and 401 with `WWW-Authenticate` to any other; one line printed per request.
    static let stub = #"""
        import http.server, json, ssl, sys
        class Nova(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self, status, body, headers={}):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                base = "https://127.0.0.1:%d" % self.server.server_address[1]
                if self.path == "/v3/auth/tokens":
                    secret = body["auth"]["identity"]["password"]["user"]["password"]
                    print("token for password", "ok" if secret == "s3cret" else "wrong", flush=True)
                    catalog = [{"type": "compute", "endpoints": [
                        {"interface": "internal", "region_id": "RegionOne", "url": base + "/v2.1"}]}]
                    token = {"expires_at": "2099-01-01T00:00:00.000000Z", "catalog": catalog}
                    self.answer(201, {"token": token}, {"X-Subject-Token": "tls-token"})
                    return
                if self.headers.get("X-Auth-Token") not in (None, "tls-token"):
                    self.answer(401, {"error": {"code": 401}}, {"WWW-Authenticate": 'Keystone uri="%s"' % base})
                    return
                events = [dict(e, code=200, status="completed") for e in body["events"]]
                self.answer(200, {"events": events})
                print("request with", len(events), "events, token", self.headers.get("X-Auth-Token"), flush=True)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Nova)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        # The handshake runs in the handler thread: a client that stalls in it cannot block accept().
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
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
        defer { if server.process.isRunning { server.process.terminate() } }
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
        #expect(server.text.contains("request with 1 events, token None"), "\(server.text)")

        // Keystone over HTTPS too: the token from its header, the endpoint from its catalog, both through curl.
        let keystone = NovaAuth.keystone(KeystoneSettings(
            authURL: URL(string: "https://127.0.0.1:\(port)")!,
            credential: .password(username: "ironic", password: "s3cret", userDomain: "Default", project: "service",
                                  projectDomain: "Default"),
            region: "RegionOne"))
        try await NovaNotifierTests.queue(store, [(0, .powerOff)])
        try await withNotifier(store, keystone, cafile: directory.appendingPathComponent("ca.pem").path) { _ in
            try await eventually("delivered with a Keystone token") { try await pendingCount(store) == 0 }
        }
        #expect(server.text.contains("token for password ok"), "\(server.text)")
        #expect(server.text.contains("request with 1 events, token tls-token"), "\(server.text)")
    }

    @Test("[nova] cafile: relative to the config file; ferrum serve refuses one it cannot read")
    func cafileOption() async throws {
        let loaded = try ControllerConfiguration.load(text: "[nova]\ncafile = tls/ca.pem\n", baseDirectory: "/etc/ferrum")
        #expect(loaded.nova.cafile == "/etc/ferrum/tls/ca.pem")
        let absolute = try ControllerConfiguration.load(text: "[nova]\ncafile = /srv/ca.pem\n", baseDirectory: "/etc/ferrum")
        #expect(absolute.nova.cafile == "/srv/ca.pem")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-cafile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("ferrum.conf").path
        try """
            [database]
            connection = sqlite:///ferrum.sqlite
            [nova]
            auth_type = none
            endpoint_override = https://127.0.0.1:1/v2.1
            cafile = missing.pem
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await ExternalTool.run(ExternalTool.ferrum, ["serve", "--config", config, "--port", "0"], timeout: .seconds(30))
        #expect(result.status != 0)
        #expect(result.output.contains("missing.pem cannot be read"), "\(result.output)")
    }
}

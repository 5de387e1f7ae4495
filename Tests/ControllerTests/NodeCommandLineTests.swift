import Foundation
import Hummingbird
import Testing
import TestSupport
import VirtualBMC
import VirtualBMCCore

/// `ferrum node …` as a real process against `ferrum serve` (a process) over an in-process VirtualBMC fleet.
@Suite("ferrum node", .serialized)
struct NodeCommandLineTests {
    static let secret = "s3cret-\(UUID().uuidString.prefix(8))"

    @Test("create (--provide), list, show, set, power off --wait, maintenance, delete; errors and exit codes")
    func oneNodeAtATime() async throws {
        try await withFleet(count: 3, customize: Self.customize) { fleet, specs in
            try await withServe { cli in
                let passwordFile = cli.directory.appendingPathComponent("bmc-password").path
                try "\(Self.secret)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
                let instance = UUID().uuidString.lowercased()
                let created = try await cli.run(["create", "--name", "server-0", "--ipmi-address", "127.0.0.1",
                                                 "--ipmi-port", "\(specs[0].port)", "--ipmi-username", "admin",
                                                 "--ipmi-password-file", passwordFile, "--instance-uuid", instance, "--provide"])
                #expect(created.status == 0, "\(created.output)")
                #expect(created.output.contains("provision_state") && created.output.contains("available"), "\(created.output)")
                for (index, spec) in specs.enumerated().dropFirst() {
                    let json = try await cli.run(["create", "--name", "server-\(index)", "--ipmi-address", "127.0.0.1",
                                                  "--ipmi-port", "\(spec.port)", "--ipmi-username", "admin",
                                                  "--ipmi-password", Self.secret, "--format", "json"])
                    #expect(json.status == 0, "\(json.output)")
                    let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
                    #expect(object?["provision_state"] as? String == "enroll")
                }

                let table = try await cli.run(["list"])
                #expect(table.status == 0, "\(table.output)")
                let lines = table.output.split(separator: "\n")
                #expect(lines.first?.hasPrefix("UUID") == true && lines.first?.contains("Provisioning State") == true)
                #expect(lines.count == 4 && lines.contains { $0.contains("server-0") && $0.contains(instance) })
                let available = try await cli.json(["list", "--provision-state", "available", "--format", "json"]) as? [[String: Any]]
                #expect(available?.map { $0["name"] as? String } == ["server-0"])

                let shown = try await cli.run(["show", "server-0"])
                #expect(shown.status == 0 && shown.output.contains("ipmi_password\":\"******\""), "\(shown.output)")
                let shownJSON = try await cli.json(["show", "server-0", "-f", "json"]) as? [String: Any]
                #expect((shownJSON?["driver_info"] as? [String: Any])?["ipmi_password"] as? String == "******")

                let renamed = try await cli.run(["set", "server-1", "--name", "server-b", "--instance-uuid", instance.uppercased(),
                                                 "--driver-info", "ipmi_priv_level=OPERATOR"])
                #expect(renamed.status == 0, "\(renamed.output)")
                let patched = try await cli.json(["show", "server-b", "-f", "json"]) as? [String: Any]
                #expect(patched?["name"] as? String == "server-b")
                #expect((patched?["driver_info"] as? [String: Any])?["ipmi_priv_level"] as? String == "OPERATOR")
                _ = try await cli.run(["set", "server-b", "--unset-instance-uuid"])
                #expect(try await cli.json(["show", "server-b", "-f", "json"]).flatMap { ($0 as? [String: Any])?["instance_uuid"] } is NSNull)

                // server-0's BMC starts powered on; the sync has seen it by now or the action's reading will.
                let off = try await cli.run(["power", "off", "server-0", "--wait"], timeout: .seconds(90))
                #expect(off.status == 0 && off.output.contains("server-0: power off ("), "\(off.output)")
                #expect(try fleet.show(specs[0].name).powerOn == false)
                let on = try await cli.run(["power", "on", "server-0", "--wait"], timeout: .seconds(90))
                #expect(on.status == 0 && on.output.contains("server-0: power on ("), "\(on.output)")
                #expect(try fleet.show(specs[0].name).powerOn == true)

                // A BMC that accepts the command but never changes: the action fails, --wait says why and exits 4.
                var stuck = FaultSpec.none
                stuck.stuckPower = true
                try fleet.setFaults(stuck, on: specs[2].name)
                for verb in ["manage", "provide"] {
                    _ = try await httpJSON("PUT", "\(cli.base)/v1/nodes/server-2/states/provision", ["target": verb])
                }
                let failed = try await cli.run(["power", "off", "server-2", "--wait", "--timeout", "2"], timeout: .seconds(90))
                #expect(failed.status == 4, "\(failed.output)")
                #expect(failed.output.contains("server-2: power off failed after"), "\(failed.output)")
                #expect(try fleet.show(specs[2].name).powerOn == true)

                let maintained = try await cli.run(["maintenance", "set", "server-0", "--reason", "disk swap"])
                #expect(maintained.status == 0, "\(maintained.output)")
                let inMaintenance = try await cli.json(["show", "server-0", "-f", "json"]) as? [String: Any]
                #expect(inMaintenance?["maintenance"] as? Bool == true)
                #expect(inMaintenance?["maintenance_reason"] as? String == "disk swap")
                #expect(try await cli.json(["list", "--maintenance", "-f", "json"]).map { ($0 as? [Any])?.count } == 1)
                #expect(try await cli.run(["maintenance", "unset", "server-0"]).status == 0)
                #expect(try await cli.json(["show", "server-0", "-f", "json"]).map { ($0 as? [String: Any])?["maintenance"] as? Bool } == false)

                let deleted = try await cli.run(["delete", "server-b", "server-9"])
                #expect(deleted.status == 1 && deleted.output.contains("Deleted node server-b"), "\(deleted.output)")
                #expect(deleted.output.contains("server-9: node server-9 could not be found (404)"), "\(deleted.output)")
                #expect(try await cli.json(["list", "-f", "json"]).map { ($0 as? [Any])?.count } == 2)

                let missing = try await cli.run(["show", "server-9"])
                #expect(missing.status == 1)
                #expect(missing.output.contains("ferrum: node server-9 could not be found (404)"), "\(missing.output)")
                let badTarget = try await cli.run(["power", "on", "server-0", "--soft"])
                #expect(badTarget.status == 64, "\(badTarget.output)")
                let badPatch = try await cli.run(["set", "server-2", "--instance-uuid", "not-a-uuid"])
                #expect(badPatch.status == 1 && badPatch.output.contains("(400)"), "\(badPatch.output)")

                for output in cli.outputs + [cli.server.text] {
                    #expect(!output.contains(Self.secret), "a password reached the output")
                }
            }
        }
    }

    @Test("create --file enrols 1,000 nodes, reports the one that failed by name, and list pages through them all")
    func bulkCreate() async throws {
        try await withFleet(count: 1000, customize: Self.customize) { _, specs in
            try await withServe { cli in
                // Taken before the file is sent, so exactly one of the file's nodes is refused.
                _ = try await cli.run(["create", "--name", "server-7", "--ipmi-address", "127.0.0.1", "--ipmi-port",
                                       "\(specs[7].port)", "--ipmi-username", "admin", "--ipmi-password", Self.secret])
                var yaml = "driver_info:\n  ipmi_username: admin\n  ipmi_password: '\(Self.secret)'\nnodes:\n"
                for (index, spec) in specs.enumerated() {
                    yaml += "  - name: server-\(index)\n    driver_info: {ipmi_address: \(spec.address), ipmi_port: \(spec.port)}\n"
                }
                let file = cli.directory.appendingPathComponent("nodes.yaml").path
                try yaml.write(toFile: file, atomically: true, encoding: .utf8)
                let started = ContinuousClock.now
                let result = try await cli.run(["create", "--file", file], timeout: .seconds(120))
                let elapsed = ContinuousClock.now - started
                #expect(result.status == 1, "\(result.output)")
                #expect(result.output.contains("enrolled 999 of 1,000 nodes in"), "\(result.output)")
                #expect(result.output.contains("1 failed"), "\(result.output)")
                #expect(result.output.contains("ferrum: server-7: "), "\(result.output)")
                #expect(!result.output.contains("▕"), "no progress bar when stderr is not a terminal")
                print("create --file with 1,000 nodes: \(elapsed)")

                let all = try await cli.json(["list", "-f", "json"]) as? [[String: Any]]
                #expect(all?.count == 1000, "list follows the pages past the API's 1,000-node limit")
                #expect(Set(all?.compactMap { $0["name"] as? String } ?? []).count == 1000)

                // JSON works too, and --provide leaves every node available.
                let json = cli.directory.appendingPathComponent("more.json").path
                try """
                    [{"name": "extra-1", "driver_info": {"ipmi_address": "127.0.0.1", "ipmi_port": \(specs[1].port),
                      "ipmi_username": "admin", "ipmi_password": "\(Self.secret)"}, "instance_uuid": "\(UUID().uuidString)"},
                     {"name": "extra-2", "driver_info": {"ipmi_address": "127.0.0.1", "ipmi_port": \(specs[2].port),
                      "ipmi_username": "admin", "ipmi_password": "\(Self.secret)"}}]
                    """.write(toFile: json, atomically: true, encoding: .utf8)
                let provided = try await cli.run(["create", "--file", json, "--provide"])
                #expect(provided.status == 0 && provided.output.contains("enrolled 2 of 2 nodes"), "\(provided.output)")
                let available = try await cli.json(["list", "--provision-state", "available", "-f", "json"]) as? [[String: Any]]
                #expect(available?.compactMap { $0["name"] as? String }.sorted() == ["extra-1", "extra-2"])

                // A mistake in the file stops everything before a request, naming the line.
                let broken = cli.directory.appendingPathComponent("broken.yaml").path
                try "nodes:\n  - name: a\n    driver_info: {ipmi_address: 127.0.0.1}\n  - name: b\n    instance: x\n"
                    .write(toFile: broken, atomically: true, encoding: .utf8)
                let refused = try await cli.run(["create", "--file", broken])
                #expect(refused.status == 64 && refused.output.contains("line 5: node 2: unknown key 'instance'"),
                        "\(refused.output)")
                for output in cli.outputs + [cli.server.text] {
                    #expect(!output.contains(Self.secret), "a password reached the output")
                }
            }
        }
    }

    @Test("an API that is not there exits 3 with a hint; credentials and the microversion are sent; 406 is explained")
    func unreachableAuthAndVersion() async throws {
        // A port free for UDP a moment ago: nothing listens on it over TCP.
        let closed = try await ExternalTool.freeUDPPort()
        for arguments in [["list"], ["show", "x"], ["power", "off", "x", "--wait"], ["create", "--file", "/dev/null"]] {
            let result = try await ExternalTool.run(ExternalTool.ferrum, ["node"] + arguments,
                                                    environment: ["FERRUM_URL": "http://127.0.0.1:\(closed)"])
            if arguments[0] == "create" {
                #expect(result.status == 64, "an empty file is refused before any request: \(result.output)")
                continue
            }
            #expect(result.status == 3, "\(arguments): \(result.output)")
            #expect(result.output.contains("cannot reach the Ferrum API at http://127.0.0.1:\(closed): is `ferrum serve` running?"),
                    "\(result.output)")
        }

        // A stand-in API: Basic credentials are checked, the version header echoed, and one route is too old.
        let router = Router()
        router.get("v1/nodes/:node") { request, context -> Response in
            let version = request.headers.first { $0.name.canonicalName == "x-openstack-ironic-api-version" }?.value ?? "none"
            if context.parameters.get("node") == "old" {
                var headers = HTTPFields()
                headers[.init("X-OpenStack-Ironic-API-Minimum-Version")!] = "1.1"
                headers[.init("X-OpenStack-Ironic-API-Maximum-Version")!] = "1.46"
                return Response(status: .notAcceptable, headers: headers)
            }
            guard request.headers[.authorization] == "Basic " + Data("ops:pa55".utf8).base64EncodedString() else {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string:
                    #"{"error": {"message": "Incorrect username or password", "code": 401}}"#)))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"name": "n1", "version": "\#(version)"}"#)))
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        let service = Task { try await app.runService() }
        defer { service.cancel() }
        var port = 0
        for await bound in stream { port = bound; break }
        let url = "http://127.0.0.1:\(port)"

        let shown = try await ExternalTool.run(ExternalTool.ferrum, ["node", "show", "n1", "--url", url, "--username", "ops", "-f", "json"],
                                               environment: ["FERRUM_PASSWORD": "pa55"])
        #expect(shown.status == 0 && shown.output.contains(#""version" : "1.95""#), "\(shown.output)")
        let anonymous = try await ExternalTool.run(ExternalTool.ferrum, ["node", "show", "n1", "--url", url])
        #expect(anonymous.status == 1 && anonymous.output.contains("ferrum: incorrect username or password (401); give --username and --password"), "\(anonymous.output)")
        #expect(anonymous.output.contains("give --username and --password"), "\(anonymous.output)")
        let old = try await ExternalTool.run(ExternalTool.ferrum, ["node", "show", "old", "--url", url])
        #expect(old.status == 1 && old.output.contains("does not speak API version 1.95 (it supports 1.1 to 1.46)"), "\(old.output)")
    }

    @Test("http_basic: credentials from flags, a file or the environment; none or wrong ones exit 1 at once, naming the 401")
    func basicAuthAgainstServe() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-node-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // OpenBSD's bcrypt test vector: "U*U" at cost 5.
        let htpasswd = directory.appendingPathComponent("htpasswd").path
        try "ops:$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n".write(toFile: htpasswd, atomically: true, encoding: .utf8)
        let passwordFile = directory.appendingPathComponent("api-password").path
        try "U*U\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try await withServe(settings: "auth_strategy = http_basic\nhttp_basic_auth_user_file = \(htpasswd)") { cli in
            // corelibs Foundation would wait forever on this 401's challenge; the CLI must not.
            let anonymous = try await cli.run(["list"], timeout: .seconds(20))
            #expect(anonymous.status == 1, "\(anonymous.output)")
            #expect(anonymous.output.contains("(401); give --username and --password"), "\(anonymous.output)")
            let wrong = try await cli.run(["list", "--username", "ops", "--password", "guess"], timeout: .seconds(20))
            #expect(wrong.status == 1 && wrong.output.contains("(401)"), "\(wrong.output)")
            #expect(try await cli.run(["list", "--username", "ops", "--password-file", passwordFile]).status == 0)
            let fromEnvironment = try await cli.run(["list", "-f", "json"],
                                                    environment: ["FERRUM_USERNAME": "ops", "FERRUM_PASSWORD": "U*U"])
            #expect(fromEnvironment.status == 0 && fromEnvironment.output.hasPrefix("["), "\(fromEnvironment.output)")
        }
    }

    // MARK: Helpers

    static func customize(_ specs: inout [BMCSpec]) {
        for index in specs.indices {
            specs[index].users = [UserSpec(name: "admin", password: secret)]
            specs[index].powerOn = true
        }
    }
}

/// `ferrum serve` in a temporary directory, and the `ferrum node` CLI pointed at it through FERRUM_URL.
final class NodeCLI: @unchecked Sendable {
    let directory: URL
    let server: ServerProcess
    let base: String
    /// Everything the CLI printed, to check for leaked secrets at the end.
    private(set) var outputs: [String] = []

    init(directory: URL, server: ServerProcess, base: String) {
        self.directory = directory
        self.server = server
        self.base = base
    }

    func run(_ arguments: [String], timeout: Duration = .seconds(60),
             environment: [String: String] = [:]) async throws -> ToolResult {
        let result = try await ExternalTool.run(ExternalTool.ferrum, ["node"] + arguments, timeout: timeout,
                                                environment: environment.merging(["FERRUM_URL": base]) { $1 })
        outputs.append(result.output)
        return result
    }

    /// Runs a `--format json` command and parses its output.
    func json(_ arguments: [String]) async throws -> Any? {
        let result = try await run(arguments)
        #expect(result.status == 0, "\(arguments): \(result.output)")
        return try? JSONSerialization.jsonObject(with: Data(result.output.utf8))
    }
}

/// Starts `ferrum serve` on a fresh SQLite file (`settings` go in its config's [DEFAULT]) and always stops it.
func withServe(settings: String = "", _ body: (NodeCLI) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-node-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let config = directory.appendingPathComponent("ferrum.conf").path
    try """
        [DEFAULT]
        \(settings)

        [conductor]
        sync_power_state_interval = 1
        power_failure_recovery_interval = 0

        [ipmi]
        retransmit_interval = 0.2

        [database]
        connection = sqlite:///x.sqlite
        """.write(toFile: config, atomically: true, encoding: .utf8)
    let server = try ServerProcess(ExternalTool.ferrum, ["serve", "--config", config, "--port", "0"])
    do {
        let port = try await server.waitFor("API listening on http://127.0.0.1:(\\d+)")
        try await body(NodeCLI(directory: directory, server: server, base: "http://127.0.0.1:\(port)"))
    } catch {
        _ = await server.terminate()
        throw error
    }
    #expect(await server.terminate() == 0)
}

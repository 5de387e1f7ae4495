import Foundation
import Testing
import VirtualBMCCore

/// The `ferrum` executable end to end, as real processes on 127.0.0.1.
@Suite("ferrum command line", .serialized)
struct CommandLineTests {
    /// `swift test` builds the executable next to the test bundle.
    static var ferrum: String {
        let bundleDirectory = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        return bundleDirectory.appendingPathComponent("ferrum").path
    }

    func ferrum(_ arguments: [String], environment: [String: String]? = nil) async throws -> ToolResult {
        try await ExternalTool.run(Self.ferrum, arguments, timeout: .seconds(60), environment: environment)
    }

    @Test("ferrum demo runs the whole walk-through and exits 0")
    func demo() async throws {
        let result = try await ferrum(["demo"])
        #expect(result.status == 0, "\(result.output)")
        for line in ["negotiated cipher suite 17", "power on → status on", "power cycle → status on", "power soft → status off",
                     "bootdev pxe", "power button → status on", "sessions left: 0", "power on accepted → status right away: off",
                     "600 ms later → status on", "'stuck power': power on accepted → status off", "'busy'", "0xc0",
                     "'credentials rotated': login refused: wrong password", "faults cleared: power status → off",
                     "enrolled 3 nodes", "password shown as ***", "Power sync pass 1: 3 checked, 3 unknown states recorded",
                     "Power sync pass 2: 3 in sync, 0 writes, 3 RMCP+ sessions kept open",
                     "server-1: power off accepted (202); a second request at once → refused",
                     "server-1: power off confirmed", "server-1: power off,",
                     "1 node driven back → BMC says on", "5 power-update events, 5 delivered", "none pending",
                     "reached Nova as 3 power-update events",
                     "server-1's instance in Nova: active, power_state 1 (running) → stopped, power_state 4 (shutdown)",
                     "server-2's instance in Nova: active, power_state 1 (running)", "/_fake/instances",
                     "API GET /v1/nodes → server-0: power on, server-1: power off, server-2: power off",
                     "/states/power {\"target\": \"power on\"} → 202", "power_state 'power on'; the BMC says on",
                     "ipmi_password ******", "API GET /metrics →", "ferrum_sync_passes_total 3",
                     "swift run ferrum demo --keep-running"] {
            #expect(result.output.contains(line), "missing '\(line)' in:\n\(result.output)")
        }
    }

    @Test("bmc serve + ipmi: power on, status, bootdev; the password never appears in any output")
    func serveAndControl() async throws {
        let secret = "s3cret-\(UUID().uuidString.prefix(8))"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let passwordFile = directory.appendingPathComponent("password").path
        try "\(secret)\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let port = try await ExternalTool.freeUDPPort()

        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.ferrum)
        server.arguments = ["bmc", "serve", "--port", "\(port)", "--user", "admin", "--password-file", passwordFile,
                            "--api-port=-1"]  // no management API: the default port may be taken on a shared machine
        let serverOutput = Pipe()
        server.standardOutput = serverOutput
        server.standardError = serverOutput
        let serverExit = ExternalTool.exitSignal(of: server)
        try server.run()

        var outputs: [String] = []
        do {
            let base = ["ipmi", "-H", "127.0.0.1", "-p", "\(port)", "-U", "admin", "--password-file", passwordFile, "--retransmit", "0.3"]
            let on = try await ferrum(base + ["power", "on"])
            outputs.append(on.output)
            #expect(on.status == 0 && on.output.contains("Chassis Power Control: Up/On"), "\(on.output)")

            let status = try await ferrum(["ipmi", "-H", "127.0.0.1", "-p", "\(port)", "-C", "3", "power", "status"],
                                          environment: ["FERRUM_IPMI_PASSWORD": secret])
            outputs.append(status.output)
            #expect(status.output.contains("Chassis Power is on"), "\(status.output)")

            let bootdev = try await ferrum(base + ["bootdev", "pxe", "persistent", "efi"])
            outputs.append(bootdev.output)
            #expect(bootdev.output.contains("Set Boot Device to pxe (persistent) (EFI)"), "\(bootdev.output)")

            let raw = try await ferrum(base + ["raw", "0x00", "0x09", "0x05", "0x00", "0x00"])
            outputs.append(raw.output)
            #expect(raw.output.contains("01 05 e0 04 00 00 00"), "\(raw.output)")

            let wrong = try await ferrum(["ipmi", "-H", "127.0.0.1", "-p", "\(port)", "-P", "not-\(secret)", "power", "off"])
            #expect(wrong.status != 0)
            #expect(wrong.output.contains("wrong password"), "\(wrong.output)")

            let bad = try await ferrum(base + ["power", "sideways"])
            #expect(bad.status != 0 && bad.output.contains("usage: power"), "\(bad.output)")
        } catch {
            server.terminate()
            throw error
        }
        server.terminate()
        #expect(await serverExit.value == 0, "SIGTERM stops the server cleanly")
        let served = String(decoding: serverOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        outputs.append(served)
        #expect(served.contains("virtual BMC listening on 127.0.0.1:\(port)"))
        for output in outputs { #expect(!output.contains(secret), "password leaked into: \(output)") }
    }

    @Test("the virtual BMC refuses to bind outside loopback")
    func loopbackOnly() async throws {
        let result = try await ferrum(["bmc", "serve", "--host", "192.0.2.1", "--password", "x"])
        #expect(result.status != 0)
        #expect(result.output.contains("loopback only"), "\(result.output)")
    }
}

/// `ferrum bmc serve --config` with the management verbs, as separate processes.
@Suite("ferrum bmc fleet verbs", .serialized)
struct FleetCommandLineTests {
    func ferrum(_ arguments: [String]) async throws -> ToolResult {
        try await ExternalTool.run(CommandLineTests.ferrum, arguments, timeout: .seconds(60))
    }

    @Test("a bad fleet file is refused with its line number")
    func badConfigNamesTheLine() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-bad-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "seed: 1\nbmcs:\n  - name: a\n    port: 6230\n  - name: b\n    port: 70000\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await ferrum(["bmc", "serve", "--config", path, "--api-port=-1"])
        #expect(result.status != 0)
        #expect(result.output.contains("line 6"), "\(result.output)")
    }

    @Test("serve a fleet file; list, add, press, fault, show, stop, start, delete through the CLI; restart restores it")
    func verbs() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-verbs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("fleet.yaml").path
        let udp = try await ExternalTool.freeUDPPort()
        let basePort = udp > 60000 ? udp - 10 : udp
        let apiPort = try await ExternalTool.freeUDPPort()  // any free number; TCP is free there too in practice
        try """
        seed: 3
        management: {host: 127.0.0.1, port: \(apiPort)}
        defaults:
          users: [{name: admin, password: password}]
        bmcs:
          - range: {count: 2, name_prefix: rack-, base_port: \(basePort)}
        """.write(toFile: path, atomically: true, encoding: .utf8)

        let first = try await startServer(config: path)
        do {
            try await exerciseVerbs(apiPort: apiPort, basePort: basePort, first: first, path: path)
        } catch {
            // A failed step must not leave a fleet process behind.
            first.terminate()
            throw error
        }
    }

    func exerciseVerbs(apiPort: Int, basePort: Int, first: Server, path: String) async throws {
        let api = ["--api", "http://127.0.0.1:\(apiPort)"]
        var result = try await retryUntilUp { try await ferrum(["bmc", "list"] + api) }
        #expect(result.output.contains("rack-0") && result.output.contains("rack-1"), "\(result.output)")

        result = try await ferrum(["bmc", "add", "extra", "--port", "\(basePort + 5)", "--password", "pw"] + api)
        #expect(result.status == 0, "\(result.output)")
        result = try await ferrum(["bmc", "press", "rack-0"] + api)
        #expect(result.output.contains("\"power_on\" : true"), "\(result.output)")
        result = try await ferrum(["bmc", "fault", "rack-1", "--stuck-power", "--latency-ms", "5"] + api)
        #expect(result.output.contains("\"stuck_power\" : true"), "\(result.output)")
        result = try await ferrum(["bmc", "list"] + api)
        let rack1 = result.output.split(separator: "\n").first { $0.hasPrefix("rack-1") } ?? ""
        #expect(rack1.contains("stuck power") && rack1.contains("latency"), "\(result.output)")
        let rack0 = result.output.split(separator: "\n").first { $0.hasPrefix("rack-0") } ?? ""
        #expect(rack0.contains(" on "), "\(result.output)")
        result = try await ferrum(["bmc", "list", "--json"] + api)
        #expect(try JSONDecoder().decode([BMCSnapshot].self, from: Data(result.output.utf8)).count == 3)
        result = try await ferrum(["bmc", "show", "nope"] + api)
        #expect(result.status != 0 && result.output.contains("404"), "\(result.output)")
        result = try await ferrum(["bmc", "stop", "extra"] + api)
        #expect(result.status == 0)
        result = try await ferrum(["bmc", "start", "extra"] + api)
        #expect(result.status == 0)
        result = try await ferrum(["bmc", "delete", "rack-1"] + api)
        #expect(result.status == 0)
        first.terminate()
        _ = await first.exited.value

        // A restart reads the file the API kept up to date: rack-1 is gone, extra is there.
        let second = try await startServer(config: path)
        defer { second.terminate() }
        result = try await retryUntilUp { try await ferrum(["bmc", "list"] + api) }
        #expect(result.output.contains("rack-0") && result.output.contains("extra") && !result.output.contains("rack-1"),
                "\(result.output)")
        let ipmi = try await ferrum(["ipmi", "-H", "127.0.0.1", "-p", "\(basePort + 5)", "-P", "pw", "power", "status"])
        #expect(ipmi.output.contains("Chassis Power is off"), "\(ipmi.output)")
        second.terminate()
        _ = await second.exited.value
    }

    struct Server {
        let process: Process
        let exited: Task<Int32, Never>
        func terminate() { if process.isRunning { process.terminate() } }
    }

    func startServer(config: String) async throws -> Server {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.ferrum)
        process.arguments = ["bmc", "serve", "--config", config]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let exited = ExternalTool.exitSignal(of: process)
        try process.run()
        return Server(process: process, exited: exited)
    }

    /// The API takes a moment to bind after the process starts.
    func retryUntilUp(_ call: () async throws -> ToolResult) async throws -> ToolResult {
        var last = try await call()
        for _ in 0..<50 where last.status != 0 {
            try await Task.sleep(for: .milliseconds(100))
            last = try await call()
        }
        return last
    }
}

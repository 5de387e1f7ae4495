import Foundation
import Testing

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
                     "'credentials rotated': login refused: wrong password", "faults cleared: power status → off"] {
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
        server.arguments = ["bmc", "serve", "--port", "\(port)", "--user", "admin", "--password-file", passwordFile]
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

import Controller
import Foundation
import IPMI
import Testing

/// Ferrum's client against OpenIPMI's ipmi_sim, an independent BMC implementation (suite 3 only; no suite 17).
@Suite("Ferrum's client against OpenIPMI ipmi_sim", .serialized)
struct IPMISimInteropTests {
    /// Copies the shared ipmi_sim setup (read-only in CI) to a temp dir, on a free port, and starts it.
    final class IPMISim {
        let directory: URL
        let port: Int
        let process: Process
        let exited: Task<Int32, Never>

        init() async throws {
            guard let executable = ExternalTool.find("ipmi_sim") else { throw MissingTool(name: "ipmi_sim (Debian package openipmi)") }
            // A copy of ../shared/reference/ipmi/ipmi_sim, so the test needs nothing outside the repository.
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ipmi_sim")
            guard FileManager.default.fileExists(atPath: source.path) else {
                throw MissingTool(name: "the ipmi_sim setup at \(source.path)")
            }
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-ipmisim-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for name in ["lan.conf", "sim7001.emu", "chassiscontrol.sh"] {
                let contents = try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8)
                try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.appendingPathComponent("chassiscontrol.sh").path)
            for name in ["state", "vardir"] {
                try FileManager.default.createDirectory(at: directory.appendingPathComponent(name), withIntermediateDirectories: true)
            }
            port = try await ExternalTool.freeUDPPort()
            let lanConf = directory.appendingPathComponent("lan.conf")
            let original = try String(contentsOf: lanConf, encoding: .utf8)
            guard original.contains("addr 127.0.0.1 7001") else { throw MissingTool(name: "the expected 'addr' line in lan.conf") }
            try original.replacingOccurrences(of: "addr 127.0.0.1 7001", with: "addr 127.0.0.1 \(port)")
                .write(to: lanConf, atomically: true, encoding: .utf8)

            process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-c", "lan.conf", "-f", "sim7001.emu", "-s", directory.appendingPathComponent("vardir").path, "-n", "-d"]
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            exited = ExternalTool.exitSignal(of: process)
            try process.run()
        }

        /// The power state as ipmi_sim's chassis-control helper recorded it.
        var recordedPower: String? {
            try? String(contentsOf: directory.appendingPathComponent("state/power"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// ipmi_sim does not exit on SIGTERM, so it is killed.
        func stop() async {
            kill(process.processIdentifier, SIGKILL)
            _ = await exited.value
            try? FileManager.default.removeItem(at: directory)
        }
    }

    func session(_ sim: IPMISim, password: String = "password") async throws -> IPMIClientSession {
        // ipmi_sim needs a moment to bind; the client's retransmissions cover that.
        try await IPMIClientSession.connect(
            host: "127.0.0.1", port: sim.port,
            configuration: ConsoleConfiguration(username: "admin", password: password, cipherSuite: 3,
                                                retransmitInterval: .milliseconds(500), maximumAttempts: 6))
    }

    /// Runs `body` against a fresh ipmi_sim and always stops it afterwards.
    func withIPMISim(_ body: (IPMISim) async throws -> Void) async throws {
        let sim = try await IPMISim()
        do {
            try await body(sim)
        } catch {
            await sim.stop()
            throw error
        }
        await sim.stop()
    }

    @Test("status, on, off with cipher suite 3")
    func statusOnOff() async throws {
        try await withIPMISim(exerciseStatusOnOff)
    }

    func exerciseStatusOnOff(_ sim: IPMISim) async throws {
        let client = try await session(sim)
        let summary = try await client.establish()
        #expect(summary.suite == .suite3)
        #expect(summary.privilege == .administrator)
        #expect(try await client.powerIsOn() == false)
        try await client.chassisControl(.powerUp)
        #expect(try await client.powerIsOn() == true)
        #expect(sim.recordedPower == "1")
        try await client.chassisControl(.powerDown)
        #expect(try await client.powerIsOn() == false)
        #expect(sim.recordedPower == "0")
        let device = try await client.deviceID()
        #expect(device.manufacturerID == 0x1291 && device.productID == 0x0F02)
        await client.close()
    }

    @Test("ipmi_sim refuses suite 17 and a wrong password, each with a typed error")
    func typedFailures() async throws {
        try await withIPMISim(exerciseTypedFailures)
    }

    func exerciseTypedFailures(_ sim: IPMISim) async throws {
        let ready = try await session(sim)  // waits until ipmi_sim answers
        await ready.close()
        await #expect(throws: ConsoleError.wrongPassword) { _ = try await session(sim, password: "not-it") }
        await #expect(throws: ConsoleError.unsupportedCipherSuite(17, .invalidAuthenticationAlgorithm)) {
            _ = try await IPMIClientSession.connect(
                host: "127.0.0.1", port: sim.port,
                configuration: ConsoleConfiguration(username: "admin", password: "password", cipherSuite: 17))
        }
    }
}

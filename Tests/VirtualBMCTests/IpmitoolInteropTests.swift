import Controller
import Foundation
import IPMI
import Testing
import VirtualBMC
import VirtualBMCCore

/// Debian's ipmitool (lanplus) against Ferrum's virtual BMC over real UDP on 127.0.0.1.
@Suite("ipmitool against the virtual BMC", .serialized)
struct IpmitoolInteropTests {
    static let guid: [UInt8] = Array(0xA0...0xAF)

    func ipmitool(_ port: Int, suite: String?, password: String = "password", _ command: [String]) async throws -> ToolResult {
        guard let path = ExternalTool.find("ipmitool") else { throw MissingTool(name: "ipmitool") }
        var arguments = ["-I", "lanplus", "-H", "127.0.0.1", "-p", "\(port)", "-U", "admin", "-P", password, "-R", "1", "-N", "2"]
        if let suite { arguments += ["-C", suite] }
        return try await ExternalTool.run(path, arguments + command)
    }

    func withBMC(powerOn: Bool = false, _ body: (VirtualBMCServer) async throws -> Void) async throws {
        let server = try await VirtualBMCServer.start(BMCSpec(name: "bmc", port: 0, guid: Self.guid, powerOn: powerOn))
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("power status/on/off/cycle/reset/soft", arguments: ["3", "17", nil] as [String?])
    func powerCommands(suite: String?) async throws {
        try await withBMC { bmc in
            var result = try await ipmitool(bmc.port, suite: suite, ["chassis", "power", "status"])
            #expect(result.status == 0 && result.output.contains("Chassis Power is off"), "\(result.output)")

            result = try await ipmitool(bmc.port, suite: suite, ["chassis", "power", "on"])
            #expect(result.output.contains("Chassis Power Control: Up/On"), "\(result.output)")
            #expect(bmc.snapshot.powerOn)
            result = try await ipmitool(bmc.port, suite: suite, ["chassis", "power", "status"])
            #expect(result.output.contains("Chassis Power is on"), "\(result.output)")

            result = try await ipmitool(bmc.port, suite: suite, ["chassis", "power", "cycle"])
            #expect(result.output.contains("Chassis Power Control: Cycle"), "\(result.output)")
            #expect(bmc.snapshot.cycles == 1)

            result = try await ipmitool(bmc.port, suite: suite, ["chassis", "power", "reset"])
            #expect(result.output.contains("Chassis Power Control: Reset"), "\(result.output)")
            #expect(bmc.snapshot.resets == 1)

            result = try await ipmitool(bmc.port, suite: suite, ["chassis", "power", "soft"])
            #expect(result.output.contains("Chassis Power Control: Soft"), "\(result.output)")
            #expect(!bmc.snapshot.powerOn)

            _ = try await ipmitool(bmc.port, suite: suite, ["chassis", "power", "on"])
            result = try await ipmitool(bmc.port, suite: suite, ["chassis", "power", "off"])
            #expect(result.output.contains("Chassis Power Control: Down/Off"), "\(result.output)")
            #expect(!bmc.snapshot.powerOn)
            // Every ipmitool run closed its session.
            #expect(bmc.snapshot.sessions == 0)
        }
    }

    @Test("chassis status, bootdev pxe, mc info", arguments: ["3", "17", nil] as [String?])
    func statusBootdevAndDeviceID(suite: String?) async throws {
        try await withBMC(powerOn: true) { bmc in
            var result = try await ipmitool(bmc.port, suite: suite, ["chassis", "status"])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("System Power         : on"), "\(result.output)")

            result = try await ipmitool(bmc.port, suite: suite, ["chassis", "bootdev", "pxe"])
            #expect(result.output.contains("Set Boot Device to pxe"), "\(result.output)")
            #expect(bmc.snapshot.bootDevice == "pxe" && !bmc.snapshot.bootPersistent && !bmc.snapshot.bootEFI)

            result = try await ipmitool(bmc.port, suite: suite, ["chassis", "bootdev", "disk", "options=persistent,efiboot"])
            #expect(result.status == 0, "\(result.output)")
            #expect(bmc.snapshot.bootDevice == "disk" && bmc.snapshot.bootPersistent && bmc.snapshot.bootEFI)

            result = try await ipmitool(bmc.port, suite: suite, ["mc", "info"])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("IPMI Version              : 2.0"), "\(result.output)")
            #expect(result.output.contains("Firmware Revision         : 1.02"), "\(result.output)")
        }
    }

    @Test("without -C ipmitool asks for the cipher suites and picks 17")
    func defaultNegotiationPicksSuite17() async throws {
        try await withBMC { bmc in
            let result = try await ipmitool(bmc.port, suite: nil, ["-vvv", "chassis", "power", "status"])
            #expect(result.output.contains("Using best available cipher suite 17"), "\(result.output)")
            #expect(result.output.contains("Chassis Power is off"))
        }
    }

    @Test("a wrong password is refused", arguments: ["3", "17"])
    func wrongPassword(suite: String) async throws {
        try await withBMC { bmc in
            let result = try await ipmitool(bmc.port, suite: suite, password: "not-it", ["chassis", "power", "on"])
            #expect(result.status != 0)
            #expect(result.output.contains("Unable to establish IPMI v2 / RMCP+ session"), "\(result.output)")
            #expect(!bmc.snapshot.powerOn)
        }
    }

    @Test("ipmitool and Ferrum's client share one BMC")
    func ipmitoolAndFerrumClient() async throws {
        try await withBMC { bmc in
            let session = try await IPMIClientSession.connect(
                host: "127.0.0.1", port: bmc.port, configuration: ConsoleConfiguration(username: "admin", password: "password"))
            let result = try await ipmitool(bmc.port, suite: "17", ["chassis", "power", "on"])
            #expect(result.status == 0)
            #expect(try await session.powerIsOn())
            await session.close()
            #expect(bmc.snapshot.sessions == 0)
        }
    }
}

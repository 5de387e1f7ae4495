import ArgumentParser
import Controller
import Foundation
import IPMI
import VirtualBMCCore
import VirtualBMC

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show everything Ferrum does so far, end to end on embedded defaults, then exit.")

    @Option(help: "UDP port for the demo's virtual BMC (0 picks a free one).") var port = 0
    @Flag(help: "Leave the virtual BMC running so you can try the commands printed at the end.") var keepRunning = false

    func run() async throws {
        let user = "admin", password = "password"
        var entropy = SystemRandomNumberGenerator()
        let bmc = try await VirtualBMCServer.start(
            VirtualBMCConfiguration(username: user, password: password, guid: entropy.bytes(16)), port: port)
        step("Virtual BMC listening on 127.0.0.1:\(bmc.port) (user \(user), cipher suites 17 and 3, power off)")

        let configuration = ConsoleConfiguration(username: user, password: password)
        let session = try await IPMIClientSession.connect(host: "127.0.0.1", port: bmc.port, configuration: configuration)
        let summary = try await session.establish()
        step("RMCP+ session up: negotiated \(summary.suite), \(summary.privilege) privilege, BMC session 0x\(String(summary.bmcSessionID, radix: 16))")

        let device = try await session.deviceID()
        step("Get Device ID: IPMI \(device.ipmiVersion & 0x0F).\(device.ipmiVersion >> 4), firmware \(device.firmwareMajor).\(hexString([device.firmwareMinor]))")
        step("power status → \(try await session.powerIsOn() ? "on" : "off")")
        try await session.setBootDevice(.pxe)
        step("bootdev pxe (next boot only) → BMC now holds boot device \(try await session.bootFlags().device)")
        try await session.chassisControl(.powerUp)
        step("power on → status \(try await session.powerIsOn() ? "on" : "off"); one-time boot device consumed: \(bmc.chassis.bootFlags.valid ? "no" : "yes")")
        try await session.chassisControl(.powerCycle)
        step("power cycle → status \(try await session.powerIsOn() ? "on" : "off") (cycles seen by the BMC: \(bmc.chassis.cycles))")
        try await session.chassisControl(.hardReset)
        step("power reset → status \(try await session.powerIsOn() ? "on" : "off") (resets seen by the BMC: \(bmc.chassis.resets))")
        try await session.chassisControl(.softShutdown)
        step("power soft → status \(try await session.powerIsOn() ? "on" : "off")")
        do {
            try await session.chassisControl(.powerCycle)
        } catch {
            step("power cycle while off → refused: \(error)")
        }
        await session.close()
        step("Close Session answered inside the session; BMC sessions left: \(bmc.sessionCount)")

        let pinned = try await IPMIClientSession.connect(
            host: "127.0.0.1", port: bmc.port, configuration: ConsoleConfiguration(username: user, password: password, cipherSuite: 3))
        step("Pinned cipher suite 3: \(try await pinned.establish().suite), power status → \(try await pinned.powerIsOn() ? "on" : "off")")
        await pinned.close()

        do {
            _ = try await IPMIClientSession.connect(
                host: "127.0.0.1", port: bmc.port, configuration: ConsoleConfiguration(username: user, password: "not-the-password"))
        } catch {
            step("Wrong password → refused: \(error)")
        }
        let counters = bmc.counters
        step("BMC counters: \(counters.datagramsIn) datagrams in, \(counters.datagramsOut) out, \(counters.commands) chassis commands")

        if keepRunning {
            print("""

            The virtual BMC stays up on 127.0.0.1:\(bmc.port) until Ctrl-C. Try:
              swift run ferrum ipmi -H 127.0.0.1 -p \(bmc.port) -U \(user) -P \(password) power status
              ipmitool -I lanplus -H 127.0.0.1 -p \(bmc.port) -U \(user) -P \(password) chassis power on
              ipmitool -I lanplus -H 127.0.0.1 -p \(bmc.port) -U \(user) -P \(password) -C 3 mc info
            """)
            try await waitForTermination()
        }
        try await bmc.stop()
    }

    private func step(_ text: String) {
        print("• \(text)")
    }
}

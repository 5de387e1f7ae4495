import Controller
import Foundation
import IPMI
import Testing
import VirtualBMC
import VirtualBMCCore

/// Several BMCs of one fleet at once, over real UDP, some with faults, driven by Debian's ipmitool and by Ferrum's client.
@Suite("VirtualBMC fleet over UDP", .serialized)
struct FleetInteropTests {
    func ipmitool(_ spec: BMCSpec, _ command: [String], suite: String = "17", password: String = "password",
                  retries: Int = 4) async throws -> ToolResult {
        guard let path = ExternalTool.find("ipmitool") else { throw MissingTool(name: "ipmitool") }
        return try await ExternalTool.run(path, ["-I", "lanplus", "-H", spec.address, "-p", "\(spec.port)", "-U", "admin",
                                                 "-P", password, "-C", suite, "-R", "\(retries)", "-N", "1"] + command)
    }

    @Test("ipmitool against five BMCs at once: clean, lossy, busy, stuck power, rotated credentials")
    func ipmitoolAgainstFaultyFleet() async throws {
        try await withFleet(count: 5, customize: { specs in
            specs[1].faults.packetLoss = 0.2
            specs[2].faults.busy = 1
            specs[3].faults.stuckPower = true
            specs[4].faults.credentialsRotated = true
        }) { fleet, specs in
            async let clean = ipmitool(specs[0], ["chassis", "power", "on"])
            async let lossy = ipmitool(specs[1], ["chassis", "power", "on"], retries: 8)
            async let busy = ipmitool(specs[2], ["chassis", "power", "on"])
            async let stuck = ipmitool(specs[3], ["chassis", "power", "on"])
            async let rotated = ipmitool(specs[4], ["chassis", "power", "status"])
            let results = try await [clean, lossy, busy, stuck, rotated]

            #expect(results[0].status == 0 && results[0].output.contains("Up/On"), "\(results[0].output)")
            #expect(try fleet.show(specs[0].name).powerOn)

            #expect(results[1].output.contains("Up/On"), "lossy: \(results[1].output)")
            #expect(try fleet.show(specs[1].name).powerOn)
            #expect(try fleet.show(specs[1].name).counters.dropped > 0)

            #expect(results[2].status != 0, "busy: \(results[2].output)")
            #expect(results[2].output.lowercased().contains("busy"), "busy: \(results[2].output)")
            #expect(try !fleet.show(specs[2].name).powerOn)

            #expect(results[3].output.contains("Up/On"), "stuck: \(results[3].output)")
            #expect(try !fleet.show(specs[3].name).powerOn, "stuck power accepts the command and does nothing")

            #expect(results[4].status != 0)
            #expect(results[4].output.contains("Unable to establish IPMI v2 / RMCP+ session"), "rotated: \(results[4].output)")

            // Clearing the rotation lets the same password in again.
            try fleet.setFaults(.none, on: specs[4].name)
            let after = try await ipmitool(specs[4], ["chassis", "power", "status"])
            #expect(after.output.contains("Chassis Power is off"), "\(after.output)")
        }
    }

    @Test("every BMC works with ipmitool suites 3, 17 and default, and with Ferrum's client")
    func everySuite() async throws {
        try await withFleet(count: 3) { fleet, specs in
            for (spec, suite) in zip(specs, ["3", "17", "17"]) {
                let result = try await ipmitool(spec, ["chassis", "power", "on"], suite: suite)
                #expect(result.output.contains("Up/On"), "\(result.output)")
            }
            guard let path = ExternalTool.find("ipmitool") else { throw MissingTool(name: "ipmitool") }
            let negotiated = try await ExternalTool.run(path, ["-I", "lanplus", "-H", "127.0.0.1", "-p", "\(specs[2].port)",
                                                               "-U", "admin", "-P", "password", "-vvv", "chassis", "power", "status"])
            #expect(negotiated.output.contains("Using best available cipher suite 17"))
            #expect(negotiated.output.contains("Chassis Power is on"))
            let session = try await IPMIClientSession.connect(
                host: "127.0.0.1", port: specs[0].port, configuration: ConsoleConfiguration(username: "admin", password: "password"))
            #expect(try await session.powerIsOn())
            await session.close()
            #expect(fleet.list().allSatisfy { $0.activeSessions == 0 })
        }
    }

    @Test("BMCs on distinct loopback addresses share one port")
    func distinctLoopbackAddresses() async throws {
        let port = try await ExternalTool.freeUDPPort()
        try await withFleet(count: 2, customize: { specs in
            for index in specs.indices {
                specs[index].address = "127.0.1.\(index + 1)"
                specs[index].port = port
            }
            specs[1].powerOn = true
        }) { fleet, specs in
            let off = try await ipmitool(specs[0], ["chassis", "power", "status"])
            let on = try await ipmitool(specs[1], ["chassis", "power", "status"])
            #expect(off.output.contains("Chassis Power is off"), "\(off.output)")
            #expect(on.output.contains("Chassis Power is on"), "\(on.output)")
            #expect(try fleet.show(specs[0].name).counters.datagramsIn > 0)
        }
    }

    @Test("FreeIPMI's ipmipower drives the fleet with suites 3 and 17")
    func freeIPMI() async throws {
        guard let ipmipower = ExternalTool.find("ipmipower") else { throw MissingTool(name: "ipmipower (Debian package freeipmi-tools)") }
        try await withFleet(count: 2) { fleet, specs in
            func run(_ spec: BMCSpec, _ suite: String, _ action: String) async throws -> ToolResult {
                try await ExternalTool.run(ipmipower, ["-D", "LAN_2_0", "-h", "127.0.0.1:\(spec.port)", "-u", "admin",
                                                       "-p", "password", "-I", suite, action])
            }
            var result = try await run(specs[0], "3", "--stat")
            #expect(result.output.contains(": off"), "\(result.output)")
            result = try await run(specs[0], "3", "--on")
            #expect(result.output.contains(": ok"), "\(result.output)")
            result = try await run(specs[1], "17", "--on")
            #expect(result.output.contains(": ok"), "\(result.output)")
            result = try await run(specs[1], "17", "--stat")
            #expect(result.output.contains(": on"), "\(result.output)")
            #expect(try fleet.show(specs[0].name).powerOn && fleet.show(specs[1].name).powerOn)
        }
    }

    @Test("Ferrum's client retransmits through 20% packet loss and gets every answer right")
    func clientRetransmitsThroughLoss() async throws {
        try await withFleet(count: 1, customize: { $0[0].faults.packetLoss = 0.2 }) { fleet, specs in
            let configuration = ConsoleConfiguration(username: "admin", password: "password",
                                                     retransmitInterval: .milliseconds(50), maximumAttempts: 8)
            let session = try await IPMIClientSession.connect(host: "127.0.0.1", port: specs[0].port, configuration: configuration)
            for round in 0..<20 {
                try await session.chassisControl(round.isMultiple(of: 2) ? .powerUp : .powerDown)
                #expect(try await session.powerIsOn() == round.isMultiple(of: 2))
            }
            await session.close()
            #expect(try fleet.show(specs[0].name).counters.dropped > 0, "the fault dropped datagrams")
        }
    }

    @Test("a dead BMC does not answer; a stopped BMC neither, until started again")
    func deadAndStopped() async throws {
        try await withFleet(count: 2, customize: { $0[0].faults.dead = true }) { fleet, specs in
            let quick = ConsoleConfiguration(username: "admin", password: "password", retransmitInterval: .milliseconds(100),
                                             maximumAttempts: 2)
            await #expect(throws: ConsoleError.self) {
                _ = try await IPMIClientSession.connect(host: "127.0.0.1", port: specs[0].port, configuration: quick)
            }
            try await fleet.stop(specs[1].name)
            #expect(try !fleet.isRunning(specs[1].name))
            await #expect(throws: ConsoleError.self) {
                _ = try await IPMIClientSession.connect(host: "127.0.0.1", port: specs[1].port, configuration: quick)
            }
            try await fleet.start(specs[1].name)
            let session = try await IPMIClientSession.connect(host: "127.0.0.1", port: specs[1].port, configuration: quick)
            #expect(try await !session.powerIsOn())
            await session.close()
        }
    }

    @Test("soak: 1,000 BMCs, each polled 20 times by Ferrum's client, no errors, no leaked sessions")
    func soak() async throws {
        try await withFleet(count: 1000) { fleet, specs in
            let configuration = ConsoleConfiguration(username: "admin", password: "password", retransmitInterval: .milliseconds(500))
            let failures = await withTaskGroup(of: Int.self) { group in
                var next = 0, failures = 0
                func addNext() {
                    let port = specs[next].port
                    next += 1
                    group.addTask {
                        do {
                            let session = try await IPMIClientSession.connect(host: "127.0.0.1", port: port, configuration: configuration)
                            for _ in 0..<20 { _ = try await session.powerIsOn() }
                            await session.close()
                            return 0
                        } catch {
                            return 1
                        }
                    }
                }
                while next < 32 { addNext() }
                for await failed in group {
                    failures += failed
                    if next < specs.count { addNext() }
                }
                return failures
            }
            #expect(failures == 0)
            let snapshots = fleet.list()
            #expect(snapshots.count == 1000)
            #expect(snapshots.allSatisfy { $0.activeSessions == 0 }, "sessions leaked")
            #expect(snapshots.allSatisfy { $0.counters.commands == 20 }, "each BMC ran its 20 status reads")
        }
    }
}

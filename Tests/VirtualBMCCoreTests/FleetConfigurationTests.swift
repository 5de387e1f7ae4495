import IPMI
import Testing
@testable import VirtualBMCCore

/// The documented example (docs/virtualbmc-config.md) and how ranges, defaults and overrides expand.
@Suite("Fleet configuration: reading")
struct FleetConfigurationTests {
    static let example = """
        # A lab fleet. This file holds passwords: chmod 600.
        seed: 42
        management: {host: 127.0.0.1, port: 8623}
        defaults:
          users:
            - {name: admin, password: secret}
            - {name: viewer, password: look, privilege: user}
          timings: {power_transition_ms: 500, soft_shutdown_ms: 3000, cycle_off_ms: 1000}
          faults: {latency_ms: 2}
        bmcs:
          - name: web-1
            port: 6230
            power: on
            guid: 00112233-4455-6677-8899-aabbccddeeff
          - name: legacy
            address: 127.0.0.2
            port: 623
            users: [{name: root, password: calvin, privilege: operator}]
            cipher_suites: [3, 0]
          - name: flaky
            port: 6231
            timings: {os_hung: true}
            faults: {packet_loss: 0.2, busy: 0.05, jitter_ms: 10, flapping_period_ms: 30000, stale_status_ms: 1500.5}
          - range: {count: 3, name_prefix: node-, base_port: 7000}
          - range: {count: 2, name_prefix: rack-, first_index: 1, base_address: 127.0.1.255, port: 623}
            power: on
            faults: {latency_ms: 0, dead: true}
        """

    @Test("the documented example reads to the expected specs")
    func example() throws {
        let configuration = try FleetConfiguration(yaml: Self.example)
        let users = [UserSpec(name: "admin", password: "secret"), UserSpec(name: "viewer", password: "look", privilege: .user)]
        let timings = ChassisTimings(powerTransition: .milliseconds(500), softShutdown: .seconds(3), cycleOffTime: .seconds(1))
        let latency = FaultSpec(latency: .milliseconds(2))
        func bmc(_ name: String, _ address: String = "127.0.0.1", port: Int, guid: [UInt8]? = nil, users: [UserSpec] = users,
                 powerOn: Bool = false, suites: [UInt8] = [17, 3], timings: ChassisTimings = timings,
                 faults: FaultSpec = latency) -> BMCSpec {
            BMCSpec(name: name, address: address, port: port, users: users, guid: guid, powerOn: powerOn, cipherSuites: suites,
                    timings: timings, faults: faults)
        }
        var hungTimings = timings
        hungTimings.osHung = true
        let flakyFaults = FaultSpec(packetLoss: 0.2, latency: .milliseconds(2), jitter: .milliseconds(10), busy: 0.05,
                                    flappingPeriod: .seconds(30), staleStatus: .microseconds(1_500_500))
        let dead = FaultSpec(dead: true)
        let expected = [
            bmc("web-1", port: 6230, guid: [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF],
                powerOn: true),
            bmc("legacy", "127.0.0.2", port: 623, users: [UserSpec(name: "root", password: "calvin", privilege: .operator)], suites: [3, 0]),
            bmc("flaky", port: 6231, timings: hungTimings, faults: flakyFaults),
            bmc("node-0", port: 7000), bmc("node-1", port: 7001), bmc("node-2", port: 7002),
            bmc("rack-1", "127.0.1.255", port: 623, powerOn: true, faults: dead),
            bmc("rack-2", "127.0.2.0", port: 623, powerOn: true, faults: dead),
        ]
        #expect(configuration.seed == 42)
        #expect(configuration.management == ManagementEndpoint(host: "127.0.0.1", port: 8623))
        #expect(configuration.bmcs.map(\.name) == expected.map(\.name))
        for (got, want) in zip(configuration.bmcs, expected) {
            #expect(got == want, "\(want.name)")
        }
    }

    @Test("a minimal file gets the same defaults as BMCSpec.init")
    func minimal() throws {
        let configuration = try FleetConfiguration(yaml: "bmcs:\n  - {name: a, port: 623}\n")
        #expect(configuration == FleetConfiguration(seed: 1, bmcs: [BMCSpec(name: "a", port: 623)]))
        #expect(try FleetConfiguration(yaml: "bmcs: []") == FleetConfiguration())
        #expect(try FleetConfiguration(yaml: "seed: 18446744073709551615").seed == .max)
    }

    @Test("a port range steps ports on one address, from first_index")
    func portRange() throws {
        let yaml = "bmcs:\n  - range: {count: 4, name_prefix: b, first_index: 8, address: 127.0.0.9, base_port: 65532}\n"
        let bmcs = try FleetConfiguration(yaml: yaml).bmcs
        #expect(bmcs.map(\.name) == ["b8", "b9", "b10", "b11"])
        #expect(bmcs.map(\.port) == [65532, 65533, 65534, 65535])
        #expect(Set(bmcs.map(\.address)) == ["127.0.0.9"])
        #expect(bmcs.map(\.guid) == bmcs.map { BMCSpec.derivedGUID(name: $0.name) })
    }

    @Test("an address range steps addresses across octet boundaries on one port")
    func addressRange() throws {
        let yaml = "bmcs:\n  - range: {count: 4, name_prefix: r-, base_address: 127.0.1.254, port: 623}\n"
        let bmcs = try FleetConfiguration(yaml: yaml).bmcs
        #expect(bmcs.map(\.address) == ["127.0.1.254", "127.0.1.255", "127.0.2.0", "127.0.2.1"])
        #expect(bmcs.map(\.name) == ["r-0", "r-1", "r-2", "r-3"])
        #expect(Set(bmcs.map(\.port)) == [623])
        let top = "bmcs:\n  - range: {count: 2, name_prefix: t-, base_address: 127.255.255.254, port: 623}\n"
        #expect(try FleetConfiguration(yaml: top).bmcs.map(\.address) == ["127.255.255.254", "127.255.255.255"])
    }

    @Test("users, power and cipher suites replace defaults; timings and faults merge key by key; null clears")
    func defaultsAndOverrides() throws {
        let yaml = """
            defaults:
              users: [{name: ops, password: pw}]
              power: on
              cipher_suites: [17]
              timings: {power_transition_ms: 100, os_hung: true}
              faults: {packet_loss: 0.5, flapping_period_ms: 2000, stale_status_ms: 0}
            bmcs:
              - {name: inherits, port: 1000}
              - name: overrides
                port: 1001
                users: [{name: other, password: x, privilege: callback}]
                power: off
                cipher_suites: [0, 3, 17]
                timings: {os_hung: false, cycle_off_ms: 7}
                faults: {busy: 1, flapping_period_ms: null, stale_status_ms: ~}
            """
        let bmcs = try FleetConfiguration(yaml: yaml).bmcs
        let inherits = BMCSpec(name: "inherits", port: 1000, users: [UserSpec(name: "ops", password: "pw")], powerOn: true,
                               cipherSuites: [17], timings: ChassisTimings(powerTransition: .milliseconds(100), osHung: true),
                               faults: FaultSpec(packetLoss: 0.5, flappingPeriod: .seconds(2), staleStatus: .zero))
        let overrides = BMCSpec(name: "overrides", port: 1001, users: [UserSpec(name: "other", password: "x", privilege: .callback)],
                                powerOn: false, cipherSuites: [0, 3, 17],
                                timings: ChassisTimings(powerTransition: .milliseconds(100), cycleOffTime: .milliseconds(7)),
                                faults: FaultSpec(packetLoss: 0.5, busy: 1))
        #expect(bmcs == [inherits, overrides])
    }

    @Test("scalars are read as written: passwords keep leading zeros, quoted text keeps YAML words")
    func scalarsAsWritten() throws {
        let yaml = """
            bmcs:
              - name: a
                port: 1
                users: [{name: "null", password: 00123}, {name: yes, password: 'on'}, {name: "", password: ""}]
                guid: 00112233445566778899AABBCCDDEEFF
            """
        let bmc = try #require(try FleetConfiguration(yaml: yaml).bmcs.first)
        #expect(bmc.users.map(\.name) == ["null", "yes", ""])
        #expect(bmc.users.map(\.password) == ["00123", "on", ""])
        #expect(bmc.guid == [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])
    }

    @Test("durations are exact: fractional milliseconds, up to one day")
    func durations() throws {
        #expect(try Rules.milliseconds("0.000000000000001") == Duration(secondsComponent: 0, attosecondsComponent: 1))
        #expect(try Rules.milliseconds("1.5") == .microseconds(1500))
        #expect(try Rules.milliseconds("86400000") == .seconds(86400))
        #expect(throws: Problem.self) { try Rules.milliseconds("86400000.001") }
        #expect(throws: Problem.self) { try Rules.milliseconds("1e3") }
        for duration: Duration in [.zero, .milliseconds(1), .microseconds(1), .nanoseconds(7), .seconds(86400), .milliseconds(1234)] {
            #expect(try Rules.milliseconds(Rules.millisecondsText(duration)) == duration)
        }
        #expect(Rules.millisecondsText(.microseconds(-1500)) == "-1.5")
    }

    @Test("generated fleets: 10,000 BMCs fit, 60,000 from port 10000 do not")
    func generated() throws {
        let user = UserSpec(name: "ops", password: "pw", privilege: .operator)
        let fleet = try FleetConfiguration.generated(count: 10000, basePort: 20000, user: user, seed: 9)
        #expect(fleet.bmcs.count == 10000)
        #expect(fleet.seed == 9)
        #expect(fleet.bmcs.first == BMCSpec(name: "bmc-0", port: 20000, users: [user]))
        #expect(fleet.bmcs.last == BMCSpec(name: "bmc-9999", port: 29999, users: [user]))
        #expect(Set(fleet.bmcs.map(\.name)).count == 10000)
        #expect(fleet.yaml().split(separator: "\n").count < 10, "a generated fleet is written as one range")
        #expect(try FleetConfiguration(yaml: fleet.yaml()) == fleet)

        #expect(try FleetConfiguration.generated(count: 1, basePort: 65535).bmcs.map(\.port) == [65535])
        #expect(throws: FleetConfigurationError.self) { try FleetConfiguration.generated(count: 60000, basePort: 10000) }
        #expect(throws: FleetConfigurationError.self) { try FleetConfiguration.generated(count: 0, basePort: 10000) }
        #expect(throws: FleetConfigurationError.self) { try FleetConfiguration.generated(count: 1, basePort: 0) }
        #expect(throws: FleetConfigurationError.self) { try FleetConfiguration.generated(count: 1, basePort: 623, address: "10.0.0.1") }
        #expect(throws: FleetConfigurationError.self) {
            try FleetConfiguration.generated(count: 1, basePort: 623, user: UserSpec(name: "a-user-name-too-long"))
        }
        do {
            _ = try FleetConfiguration.generated(count: 60000, basePort: 10000)
        } catch {
            #expect(error.line == nil)
            #expect(error.description == "60000 BMCs from port 10000 would need ports up to 69999, past 65535")
        }
    }

    @Test("errors describe themselves with line and column")
    func errorDescription() {
        #expect(FleetConfigurationError(line: 12, column: 5, message: "bad").description == "line 12, column 5: bad")
        #expect(FleetConfigurationError(line: 3, message: "bad").description == "line 3: bad")
        #expect(FleetConfigurationError(message: "bad").description == "bad")
    }
}

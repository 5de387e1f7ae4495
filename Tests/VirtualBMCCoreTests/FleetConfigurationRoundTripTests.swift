import IPMI
import Testing
@testable import VirtualBMCCore

/// `yaml()` reads back equal, stays compact, and no mangled file crashes the reader.
@Suite("Fleet configuration: writing and round trips")
struct FleetConfigurationRoundTripTests {
    static func roundTrips(_ configuration: FleetConfiguration, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = configuration.yaml()
        do {
            let read = try FleetConfiguration(yaml: text)
            #expect(read == configuration, "\(text)", sourceLocation: sourceLocation)
            #expect(read.yaml() == text, "writing is stable", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error) in:\n\(text)", sourceLocation: sourceLocation)
        }
    }

    @Test("the documented example, faults and timings included")
    func example() throws {
        Self.roundTrips(try FleetConfiguration(yaml: FleetConfigurationTests.example))
    }

    @Test("every fault and timing on its own BMC, IPv6 loopback, custom GUIDs, odd passwords")
    func handBuilt() {
        let users = [UserSpec(name: "a\"b\\c", password: "line\nbreak\t#: {x}"), UserSpec(name: "null", password: "0123", privilege: .oem),
                     UserSpec(name: "日本", password: "🙂\u{1}\u{7F}\u{85}\u{2028}", privilege: .callback),
                     UserSpec(name: "", password: "", privilege: .user), UserSpec(name: " lead", password: "- x", privilege: .operator)]
        let faults = FaultSpec(packetLoss: 1e-5, latency: .microseconds(250), jitter: .nanoseconds(3), dead: true, busy: 1,
                               stuckPower: true, flappingPeriod: .seconds(86400), staleStatus: .zero, sessionTableFull: true,
                               credentialsRotated: true, slowSessionSetup: .milliseconds(1500))
        let timings = ChassisTimings(powerTransition: .milliseconds(750), softShutdown: .seconds(12),
                                     cycleOffTime: Duration(secondsComponent: 1, attosecondsComponent: 1), osHung: true)
        let bmcs = [
            BMCSpec(name: "all", address: "::1", port: 623, users: users, guid: Array(0..<16), powerOn: true,
                    cipherSuites: [0], timings: timings, faults: faults),
            BMCSpec(name: "plain", port: 624),
            BMCSpec(name: "0", address: "127.0.0.2", port: 625, cipherSuites: [3, 17, 0], faults: FaultSpec(packetLoss: 0.1)),
            BMCSpec(name: "x", port: 626, timings: ChassisTimings(osHung: true), faults: FaultSpec(flappingPeriod: .milliseconds(1))),
        ]
        Self.roundTrips(FleetConfiguration(seed: .max, management: ManagementEndpoint(host: "::1", port: 0), bmcs: bmcs))
        Self.roundTrips(FleetConfiguration(seed: 0, bmcs: []))
    }

    @Test("defaults that BMCs switch off are written as overrides (false, 0, null)")
    func overridesOfDefaults() {
        let shared = FaultSpec(packetLoss: 0.3, dead: true, flappingPeriod: .seconds(5), staleStatus: .seconds(1))
        var bmcs = (0..<3).map { BMCSpec(name: "s\($0)", port: 100 + $0 * 10, powerOn: true, faults: shared) }
        bmcs.append(BMCSpec(name: "odd", port: 999))
        let configuration = FleetConfiguration(bmcs: bmcs)
        let text = configuration.yaml()
        #expect(text.contains("power: on"))
        #expect(text.contains("faults: {packet_loss: 0.0, dead: false, flapping_period_ms: null, stale_status_ms: null}"), "\(text)")
        Self.roundTrips(configuration)
    }

    @Test("runs become ranges: a gap splits one into two, first_index continues the names")
    func ranges() throws {
        var fleet = try FleetConfiguration.generated(count: 10, basePort: 6230)
        fleet.bmcs.remove(at: 5)
        let text = fleet.yaml()
        #expect(text.contains("- range: {count: 5, name_prefix: bmc-, base_port: 6230}"), "\(text)")
        #expect(text.contains("- range: {count: 4, name_prefix: bmc-, first_index: 6, base_port: 6236}"), "\(text)")
        Self.roundTrips(fleet)

        let addresses = try FleetConfiguration(yaml: "bmcs:\n  - range: {count: 300, name_prefix: r, base_address: 127.0.1.200, port: 623}\n")
        #expect(addresses.yaml().contains("- range: {count: 300, name_prefix: r, base_address: 127.0.1.200, port: 623}"))
        Self.roundTrips(addresses)

        // A custom GUID or setting breaks a run; the writer must not fold such a BMC into a range.
        var broken = try FleetConfiguration.generated(count: 6, basePort: 7000)
        broken.bmcs[2].guid = Array(repeating: 0xAB, count: 16)
        broken.bmcs[4].powerOn = true
        Self.roundTrips(broken)
    }

    @Test("specs built in code with invalid values are written anyway, and reading names the problem")
    func invalidSpecs() {
        // The management API validates a new spec by writing it and reading it back, so yaml() must never trap.
        let invalid: [(BMCSpec, String)] = [
            (BMCSpec(name: "a", port: .max), "out of range"),
            (BMCSpec(name: "a", port: 1, users: []), "at least one user"),
            (BMCSpec(name: "a", port: 1, guid: [1, 2, 3]), "guid must be 32 hex digits"),
            (BMCSpec(name: "a b", port: 1), "may only contain"),
            (BMCSpec(name: "a", address: "192.0.2.1", port: 1), "not loopback"),
            (BMCSpec(name: "a", port: 1, cipherSuites: [1]), "unknown cipher suite 1"),
            (BMCSpec(name: "a", port: 1, faults: FaultSpec(packetLoss: .nan)), "packet_loss"),
            (BMCSpec(name: "a", port: 1, faults: FaultSpec(busy: -.infinity)), "busy"),
            (BMCSpec(name: "a", port: 1, faults: FaultSpec(latency: .seconds(Int64.min))), "negative"),
            (BMCSpec(name: "a", port: 1, faults: FaultSpec(flappingPeriod: .zero)), "must be positive"),
            (BMCSpec(name: "a", port: 1, timings: ChassisTimings(softShutdown: .seconds(Int64.max))), "longer than one day"),
        ]
        for (spec, message) in invalid {
            let text = FleetConfiguration(bmcs: [spec, BMCSpec(name: "b", port: 2)]).yaml()
            #expect(throws: FleetConfigurationError.self, "\(text)") { try FleetConfiguration(yaml: text) }
            do {
                _ = try FleetConfiguration(yaml: text)
            } catch {
                #expect(error.line != nil && error.message.contains(message), "\(error)")
            }
        }
    }

    @Test("random valid fleets round trip", arguments: 0..<8)
    func randomFleets(_ batch: UInt64) {
        var random = SeededGenerator(seed: batch)
        for _ in 0..<40 {
            Self.roundTrips(RandomFleet.make(using: &random))
        }
    }

    @Test("mutated files either read (and then round trip) or fail with a line inside the file", arguments: 0..<4)
    func mutations(_ batch: UInt64) {
        var random = SeededGenerator(seed: 1000 + batch)
        let bases = [FleetConfigurationTests.example, RandomFleet.make(using: &random).yaml(),
                     RandomFleet.make(using: &random).yaml()]
        for _ in 0..<600 {
            var text = bases[Int(random.next() % UInt64(bases.count))]
            for _ in 0...(random.next() % 3) { text = Mutation.apply(to: text, using: &random) }
            do {
                let configuration = try FleetConfiguration(yaml: text)
                #expect(try FleetConfiguration(yaml: configuration.yaml()) == configuration, "\(text)")
            } catch {
                let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).count
                if let line = error.line {
                    #expect((1...lines + 1).contains(line), "\(error) in:\n\(text)")
                }
                #expect(!error.message.isEmpty)
            }
        }
    }
}

/// Random fleets that are valid by construction: unique names and endpoints, IPMI-sized users, and runs that the
/// writer should fold into ranges.
enum RandomFleet {
    static let pieces = ["a", "Z", "0", "9", "-", "_", " ", "\"", "'", "\\", "\n", "\t", "\r", "#", ":", "{", "}", "[", "]",
                         ",", "&", "*", "!", "|", ">", "%", "@", "`", "~", "é", "日", "🙂", "\u{7F}", "\u{85}", "\u{2028}",
                         "\u{1}", "null", "true", "on", "0123", "- ", "? "]

    static func text(maxBytes: Int, using random: inout some RandomNumberGenerator) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let piece = pieces.randomElement(using: &random)!
            if text.utf8.count + piece.utf8.count <= maxBytes { text += piece }
        }
        return text
    }

    static func duration(using random: inout some RandomNumberGenerator) -> Duration {
        switch Int.random(in: 0...3, using: &random) {
        case 0: .zero
        case 1: .milliseconds(Int.random(in: 1...5000, using: &random))
        case 2: Duration(secondsComponent: Int64.random(in: 0..<86400, using: &random),
                         attosecondsComponent: Int64.random(in: 0..<1_000_000_000_000_000_000, using: &random))
        default: .seconds(86400)
        }
    }

    static func probability(_ random: inout some RandomNumberGenerator) -> Double {
        [0, 1, 0.5, 1e-9, Double.random(in: 0...1, using: &random)].randomElement(using: &random)!
    }

    static func settings(using random: inout some RandomNumberGenerator) -> FleetSettings {
        var users: [UserSpec] = []
        for index in 0..<Int.random(in: 1...3, using: &random) {
            let name = "\(index)" + text(maxBytes: 15, using: &random)
            users.append(UserSpec(name: name, password: text(maxBytes: 20, using: &random),
                                  privilege: [.callback, .user, .operator, .administrator, .oem].randomElement(using: &random)!))
        }
        let suites = Array([UInt8(0), 3, 17].shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)))
        let timings = ChassisTimings(powerTransition: duration(using: &random), softShutdown: duration(using: &random),
                                     cycleOffTime: duration(using: &random), osHung: Bool.random(using: &random))
        let flapping = duration(using: &random)
        let faults = FaultSpec(packetLoss: probability(&random), latency: duration(using: &random), jitter: duration(using: &random),
                               dead: Bool.random(using: &random), busy: probability(&random), stuckPower: Bool.random(using: &random),
                               flappingPeriod: flapping == .zero || Bool.random(using: &random) ? nil : flapping,
                               staleStatus: Bool.random(using: &random) ? nil : duration(using: &random),
                               sessionTableFull: Bool.random(using: &random), credentialsRotated: Bool.random(using: &random),
                               slowSessionSetup: duration(using: &random))
        return FleetSettings(users: users, powerOn: Bool.random(using: &random), cipherSuites: suites, timings: timings,
                             faults: Bool.random(using: &random) ? .none : faults)
    }

    static func make(using random: inout some RandomNumberGenerator) -> FleetConfiguration {
        // A small pool of settings, so that some are shared and end up in defaults.
        let pool = (0..<3).map { _ in settings(using: &random) } + [.builtIn]
        var bmcs: [BMCSpec] = []
        var port = 1000
        var address: UInt32 = 0x7F00_01FE  // 127.0.1.254: address runs cross an octet
        for block in 0..<Int.random(in: 0...8, using: &random) {
            let shared = pool.randomElement(using: &random)!
            let prefix = ["n\(block)-", "rack.\(block)_", "b\(block)x"].randomElement(using: &random)!
            let first = Int.random(in: 0...12, using: &random)
            let count = Int.random(in: 1...5, using: &random)
            let stepsAddresses = Bool.random(using: &random)
            for index in first..<first + count {
                var spec = shared.spec(name: prefix + String(index), address: "127.0.0.1", port: port)
                if stepsAddresses {
                    spec.address = Rules.ipv4Text(address)
                    spec.port = 623
                    address += 1
                } else {
                    port += 1
                    if Int.random(in: 0..<8, using: &random) == 0 { spec.address = "::1" }
                }
                if Int.random(in: 0..<6, using: &random) == 0 { spec.guid = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) } }
                bmcs.append(spec)
            }
        }
        let management = Bool.random(using: &random) ? nil
            : ManagementEndpoint(host: ["127.0.0.1", "::1", "127.9.9.9"].randomElement(using: &random)!,
                                 port: Int.random(in: 0...65535, using: &random))
        return FleetConfiguration(seed: random.next(), management: management, bmcs: bmcs)
    }
}

/// Small edits of the kinds people (and bad merges) make to YAML files.
enum Mutation {
    static let insertions: [Character] = [" ", "\n", ":", "-", "{", "}", "[", "]", ",", "\"", "'", "#", "&", "*", "!", "|", ">",
                                          "\t", "?", "%", "@", "a", "~", ".", "\r", "\u{0}", "\u{85}"]

    static func apply(to text: String, using random: inout some RandomNumberGenerator) -> String {
        var characters = Array(text)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard !characters.isEmpty, !lines.isEmpty else { return text }
        let at = Int.random(in: 0..<characters.count, using: &random)
        let line = Int.random(in: 0..<lines.count, using: &random)
        switch Int.random(in: 0...7, using: &random) {
        case 0:
            characters.removeSubrange(at..<min(characters.count, at + Int.random(in: 1...5, using: &random)))
        case 1:
            characters.insert(insertions.randomElement(using: &random)!, at: at)
        case 2:
            if characters[at].isNumber { characters[at] = Character(String(Int.random(in: 0...9, using: &random))) }
        case 3:
            lines.insert(lines[line], at: line)
            return lines.joined(separator: "\n")
        case 4:
            lines.remove(at: line)
            return lines.joined(separator: "\n")
        case 5:
            lines.swapAt(line, Int.random(in: 0..<lines.count, using: &random))
            return lines.joined(separator: "\n")
        case 6:
            lines[line] = Bool.random(using: &random) ? "  " + lines[line] : String(lines[line].dropFirst(2))
            return lines.joined(separator: "\n")
        default:
            characters[at] = insertions.randomElement(using: &random)!
        }
        return String(characters)
    }
}

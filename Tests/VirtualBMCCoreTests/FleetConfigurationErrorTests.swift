import Testing
@testable import VirtualBMCCore

/// "A bad config names the line": every kind of mistake, with the exact line it must report.
@Suite("Fleet configuration: errors name the line")
struct FleetConfigurationErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        var line: Int
        var message: String
        var testDescription: String { name }

        init(_ name: String, line: Int, _ message: String, _ yaml: String) {
            self.name = name
            self.yaml = yaml
            self.line = line
            self.message = message
        }
    }

    static let cases: [Case] = [
        // YAML itself
        Case("bad indentation", line: 4, "invalid YAML", """
            bmcs:
              - name: a
                port: 623
               power: on
            """),
        Case("unclosed quote", line: 3, "invalid YAML", """
            bmcs:
              - name: a
                port: "623
            """),
        Case("tab indentation", line: 3, "invalid YAML", "bmcs:\n  - name: a\n\tport: 623\n"),
        Case("duplicate key names its repeat", line: 4, "duplicate key 'port' (first at line 3)", """
            bmcs:
              - name: a
                port: 623
                port: 624
            """),
        Case("control character", line: 2, "control characters are not allowed (U+0001)", "seed: 1\nbmcs: [{name: a\u{1}, port: 1}]\n"),
        Case("two documents", line: 3, "one YAML document", "seed: 1\nbmcs: []\n---\nseed: 2\n"),
        Case("empty file", line: 1, "empty", "# nothing\n"),
        Case("top level not a mapping", line: 1, "expected a mapping", "- name: a\n"),
        // unknown keys
        Case("unknown top-level key", line: 2, "unknown key 'seeds' in the fleet file", "bmcs: []\nseeds: 4\n"),
        Case("typo in faults", line: 4, "did you mean 'packet_loss'", """
            bmcs:
              - name: a
                port: 1
                faults: {packet_los: 0.5}
            """),
        Case("unknown key in a user", line: 3, "unknown key 'pasword' in a user", """
            defaults:
              users:
                - {name: a, pasword: x}
            bmcs: []
            """),
        Case("name in defaults", line: 2, "unknown key 'name' in defaults", "defaults:\n  name: x\nbmcs: []\n"),
        Case("merge key", line: 3, "merge keys are not supported", """
            bmcs:
              - &a {name: a, port: 1}
              - <<: *a
                name: b
            """),
        // wrong types
        Case("port not a number", line: 3, "port: expected an integer, got 'abc'", "bmcs:\n  - name: a\n    port: abc\n"),
        Case("quoted port", line: 3, "quoted string", "bmcs:\n  - name: a\n    port: \"623\"\n"),
        Case("bool spelled yes", line: 4, "dead: expected true or false, got 'yes'", """
            bmcs:
              - name: a
                port: 1
                faults: {dead: yes}
            """),
        Case("users not a list", line: 2, "users: expected a list", "defaults:\n  users: admin\nbmcs: []\n"),
        Case("bmcs not a list", line: 1, "bmcs: expected a list", "bmcs: {name: a}\n"),
        Case("entry not a mapping", line: 3, "expected a mapping", "bmcs:\n  - {name: a, port: 1}\n  - just-a-name\n"),
        Case("empty name", line: 2, "name: expected text, got nothing", "bmcs:\n  - name:\n    port: 1\n"),
        Case("seed negative", line: 1, "seed: expected an integer between 0", "seed: -1\nbmcs: []\n"),
        Case("power as a boolean word", line: 4, "power must be on or off, got 'true'", """
            bmcs:
              - name: a
                port: 1
                power: true
            """),
        // missing values
        Case("missing port", line: 3, "BMC 'b' needs a port", "bmcs:\n  - {name: a, port: 1}\n  - name: b\n    power: on\n"),
        Case("missing name", line: 2, "needs a name", "bmcs:\n  - port: 1\n"),
        Case("user without password", line: 2, "user 'a' needs a password", "defaults:\n  users: [{name: a}]\nbmcs: []\n"),
        Case("no users", line: 4, "at least one user", "bmcs:\n  - name: a\n    port: 1\n    users: []\n"),
        // names and endpoints
        Case("bad name characters", line: 2, "may only contain", "bmcs:\n  - name: a b\n    port: 1\n"),
        Case("duplicate name", line: 5, "BMC name 'a' is used twice (first at line 2)", """
            bmcs:
              - name: a
                port: 1
              - port: 2
                name: a
            """),
        Case("duplicate endpoint", line: 5, "endpoint 127.0.0.1:623 of 'b' is already used by 'a' (first at line 3)", """
            bmcs:
              - name: a
                port: 623
              - name: b
                port: 623
            """),
        Case("range overlapping a single BMC", line: 4, "endpoint 127.0.0.1:7002 of 'node-2' is already used by 'x'", """
            bmcs:
              - {name: x, port: 7002}
              - range:
                  {count: 5, name_prefix: node-, base_port: 7000}
            """),
        Case("range name collision", line: 3, "BMC name 'n1' is used twice (first at line 2)", """
            bmcs:
              - {name: n1, port: 1}
              - range: {count: 2, name_prefix: n, base_address: 127.0.0.2, port: 1}
            """),
        Case("non-loopback address", line: 4, "address 10.0.0.1 is not loopback", """
            bmcs:
              - name: a
                port: 1
                address: 10.0.0.1
            """),
        Case("host name instead of address", line: 2, "'localhost' is not an IP address", "bmcs:\n  - {address: localhost, name: a, port: 1}\n"),
        Case("port zero", line: 3, "port 0 is out of range 1...65535", "bmcs:\n  - name: a\n    port: 0\n"),
        Case("port too large", line: 3, "port 70000 is out of range 1...65535", "bmcs:\n  - name: a\n    port: 70000\n"),
        Case("range past 65535", line: 4, "would need ports up to 65536, past 65535", """
            bmcs:
              - range:
                  count: 2
                  base_port: 65535
                  name_prefix: p
            """),
        Case("address range past 127/8", line: 2, "would pass 127.255.255.255",
             "bmcs:\n  - range: {count: 3, name_prefix: r, base_address: 127.255.255.254, port: 623}\n"),
        Case("range with both steppings", line: 3, "not both",
             "bmcs:\n  - range: {count: 3, name_prefix: r, base_address: 127.0.0.2,\n      base_port: 623}\n"),
        Case("range without stepping", line: 2, "a range needs base_port", "bmcs:\n  - range: {count: 3, name_prefix: r}\n"),
        Case("name beside range", line: 3, "'name' does not go beside 'range'", """
            bmcs:
              - range: {count: 3, name_prefix: r, base_port: 1000}
                name: x
            """),
        Case("range count zero", line: 2, "range count 0", "bmcs:\n  - range: {count: 0, name_prefix: r, base_port: 1000}\n"),
        // values
        Case("bad GUID hex", line: 4, "guid must be 32 hex digits", """
            bmcs:
              - name: a
                port: 1
                guid: 00112233445566778899aabbccddeeXX
            """),
        Case("unknown privilege", line: 3, "unknown privilege 'root'", """
            defaults:
              users:
                - {name: a, password: b, privilege: root}
            bmcs: []
            """),
        Case("unknown cipher suite", line: 2, "unknown cipher suite 1", "defaults:\n  cipher_suites: [17, 1]\nbmcs: []\n"),
        Case("cipher suite twice", line: 4, "cipher suite 3 is listed twice", "defaults:\n  cipher_suites:\n    - 3\n    - 3\nbmcs: []\n"),
        Case("no cipher suites", line: 2, "at least one suite", "defaults:\n  cipher_suites: []\nbmcs: []\n"),
        Case("probability above 1", line: 5, "packet_loss: 1.5 is outside 0...1", """
            bmcs:
              - name: a
                port: 1
                faults:
                  packet_loss: 1.5
            """),
        Case("probability negative", line: 2, "busy: -0.1 is outside 0...1", "defaults:\n  faults: {busy: -0.1}\nbmcs: []\n"),
        Case("probability not a number", line: 2, "busy: expected a probability", "defaults:\n  faults: {busy: often}\nbmcs: []\n"),
        Case("negative duration", line: 3, "latency_ms: -5 ms is negative", "defaults:\n  faults:\n    latency_ms: -5\nbmcs: []\n"),
        Case("negative timing", line: 2, "cycle_off_ms: -0.5 ms is negative", "defaults:\n  timings: {cycle_off_ms: -0.5}\nbmcs: []\n"),
        Case("duration with a unit", line: 2, "expected milliseconds such as 250", "defaults:\n  timings: {power_transition_ms: 5s}\nbmcs: []\n"),
        Case("flapping period zero", line: 2, "must be positive", "defaults:\n  faults: {flapping_period_ms: 0}\nbmcs: []\n"),
        Case("user name too long", line: 3, "IPMI allows at most 16", """
            defaults:
              users:
                - name: a-very-long-user-name
                  password: x
            bmcs: []
            """),
        Case("password too long", line: 2, "password is 21 bytes; IPMI allows at most 20",
             "defaults:\n  users: [{name: a, password: '123456789012345678901'}]\nbmcs: []\n"),
        Case("byte order mark in a password", line: 2, "must not contain U+FEFF",
             "defaults:\n  users: [{name: a, password: \"x\\uFEFFy\"}]\nbmcs: []\n"),
        Case("duplicate user", line: 4, "user 'a' is listed twice (first at line 3)", """
            defaults:
              users:
                - {name: a, password: x}
                - {name: a, password: y}
            bmcs: []
            """),
        Case("management off loopback", line: 3, "not loopback", "bmcs: []\nmanagement:\n  host: 0.0.0.0\n  port: 8623\n"),
        Case("management port", line: 1, "management port 70000 is out of range 0...65535",
             "management: {port: 70000}\nbmcs: []\n"),
    ]

    @Test("each mistake names its line", arguments: cases)
    func namesTheLine(_ example: Case) {
        do {
            let configuration = try FleetConfiguration(yaml: example.yaml)
            Issue.record("parsed although it should not: \(configuration)")
        } catch {
            #expect(error.line == example.line, "\(error)")
            #expect(error.message.contains(example.message), "\(error)")
            #expect(error.description.hasPrefix("line \(example.line)"), "\(error)")
        }
    }

    @Test("columns point at the offending value")
    func columns() {
        #expect(throws: FleetConfigurationError(line: 3, column: 11, message: "port 0 is out of range 1...65535")) {
            try FleetConfiguration(yaml: "bmcs:\n  - name: a\n    port: 0\n")
        }
        #expect(throws: FleetConfigurationError(line: 1, column: 24, message: "port 0 is out of range 1...65535")) {
            try FleetConfiguration(yaml: "bmcs: [{name: a, port: 0}]")
        }
    }

    @Test("passwords never appear in error messages")
    func passwordsStaySecret() {
        do {
            _ = try FleetConfiguration(yaml: "defaults:\n  users: [{name: a, password: 'hunter2-hunter2-hunter2'}]\nbmcs: []\n")
            Issue.record("a 23-byte password was accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}

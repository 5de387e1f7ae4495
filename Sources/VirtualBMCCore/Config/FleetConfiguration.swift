/// A fleet of virtual BMCs as read from (and written to) its YAML file.
///
/// The file (full reference with an example: `docs/virtualbmc-config.md`):
///
/// ```yaml
/// seed: 42                                   # all fault randomness derives from it (default 1)
/// management: {host: 127.0.0.1, port: 8623}  # optional HTTP management API (port 0 picks one)
/// defaults:                                  # applied to every BMC unless the entry overrides them
///   users: [{name: admin, password: secret, privilege: administrator}]
///   power: off
///   cipher_suites: [17, 3]
///   timings: {power_transition_ms: 500}
///   faults: {packet_loss: 0.01}
/// bmcs:
///   - name: web-1                            # one BMC
///     address: 127.0.0.1
///     port: 6230
///     guid: 00112233445566778899aabbccddeeff
///     faults: {dead: true}
///   - range: {count: 100, name_prefix: node-, base_port: 7000}                   # node-0..node-99 on ports 7000..7099
///   - range: {count: 20, name_prefix: rack-, base_address: 127.0.1.1, port: 623}  # 127.0.1.1..127.0.1.20 port 623
///     power: on
/// ```
///
/// `users`, `power` and `cipher_suites` in an entry replace the defaults; `timings` and `faults` are merged key by key,
/// so an entry can switch one fault on or off without repeating the others.
///
/// Reading is strict because a typo must not silently become a default: unknown keys, wrong types and bad values are
/// errors, and every error names its line (and column). The file holds the BMCs' passwords (it is their user table):
/// keep it mode 600.
public struct FleetConfiguration: Sendable, Hashable {
    /// All fault randomness derives from it, so a run repeats.
    public var seed: UInt64
    /// Where the HTTP management API listens; nil leaves the choice to the command line.
    public var management: ManagementEndpoint?
    /// Fully expanded (ranges become one spec per BMC), in file order.
    public var bmcs: [BMCSpec]

    public init(seed: UInt64 = 1, management: ManagementEndpoint? = nil, bmcs: [BMCSpec] = []) {
        self.seed = seed
        self.management = management
        self.bmcs = bmcs
    }
}

/// The management API's TCP endpoint; always loopback.
public struct ManagementEndpoint: Sendable, Hashable {
    public var host: String
    /// 0 lets the system pick a free port.
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }
}

/// A problem in a fleet file, located where the parser could tell.
public struct FleetConfigurationError: Error, CustomStringConvertible, Hashable {
    /// 1-based; nil when the problem has no place in a file (for example from `generated`).
    public var line: Int?
    /// 1-based, counted in Unicode scalars like libyaml does.
    public var column: Int?
    public var message: String

    public init(line: Int? = nil, column: Int? = nil, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// "line 12, column 5: port 70000 is out of range 1...65535".
    public var description: String {
        switch (line, column) {
        case let (line?, column?): "line \(line), column \(column): \(message)"
        case let (line?, nil): "line \(line): \(message)"
        default: message
        }
    }
}

extension FleetConfiguration {
    /// Parses and validates a fleet file.
    public init(yaml: String) throws(FleetConfigurationError) {
        self = try FleetFileReader.read(yaml)
    }

    /// The canonical file for this fleet: `FleetConfiguration(yaml: c.yaml()) == c` for every valid `c`.
    /// Settings shared by most BMCs move to `defaults:`, runs of BMCs that a range would produce are written as one
    /// range, and values equal to their defaults are left out.
    public func yaml() -> String {
        FleetFileWriter.write(self)
    }

    /// The fleet of `ferrum bmc serve --count N --base-port P`: BMCs `bmc-0`...`bmc-(N-1)` on consecutive ports of one
    /// address, all with the same user. Throws when the ports would pass 65535 or any value is invalid.
    public static func generated(count: Int, basePort: Int, address: String = "127.0.0.1", user: UserSpec = UserSpec(),
                                 seed: UInt64 = 1) throws(FleetConfigurationError) -> FleetConfiguration {
        do throws(Problem) {
            guard (1...Rules.maxRangeCount).contains(count) else {
                throw Problem("count \(count) is out of range 1...\(Rules.maxRangeCount)")
            }
            try Rules.checkLoopback(address)
            try Rules.checkUsers([user])
            try Rules.checkPort(basePort)
            try Rules.checkPortRun(basePort: basePort, count: count)
        } catch {
            throw FleetConfigurationError(message: error.message)
        }
        let bmcs = (0..<count).map { index in
            BMCSpec(name: "bmc-\(index)", address: address, port: basePort + index, users: [user])
        }
        return FleetConfiguration(seed: seed, bmcs: bmcs)
    }
}

/// What `defaults:` and every `bmcs:` entry may set. A BMC gets the built-in values, then `defaults:`, then its entry:
/// users, power and cipher suites replace; timings and faults merge key by key.
struct FleetSettings: Hashable {
    var users: [UserSpec]
    var powerOn: Bool
    var cipherSuites: [UInt8]
    var timings: ChassisTimings
    var faults: FaultSpec

    /// The same defaults as `BMCSpec.init`, so a spec built in code and one read from a file agree.
    static let builtIn = FleetSettings(users: [UserSpec()], powerOn: false, cipherSuites: [17, 3],
                                       timings: ChassisTimings(), faults: .none)

    init(users: [UserSpec], powerOn: Bool, cipherSuites: [UInt8], timings: ChassisTimings, faults: FaultSpec) {
        self.users = users
        self.powerOn = powerOn
        self.cipherSuites = cipherSuites
        self.timings = timings
        self.faults = faults
    }

    init(of spec: BMCSpec) {
        self.init(users: spec.users, powerOn: spec.powerOn, cipherSuites: spec.cipherSuites, timings: spec.timings,
                  faults: spec.faults)
    }

    func spec(name: String, address: String, port: Int, guid: [UInt8]? = nil) -> BMCSpec {
        BMCSpec(name: name, address: address, port: port, users: users, guid: guid, powerOn: powerOn,
                cipherSuites: cipherSuites, timings: timings, faults: faults)
    }
}

/// Every key the file knows, in the order the writer emits them (and error messages list them).
enum FleetKeys {
    static let top = ["seed", "management", "defaults", "bmcs"]
    static let management = ["host", "port"]
    static let settings = ["users", "power", "cipher_suites", "timings", "faults"]
    static let single = ["name", "address", "port", "guid"]
    static let entry = ["range"] + single + settings
    static let range = ["count", "name_prefix", "first_index", "address", "base_port", "base_address", "port"]
    static let user = ["name", "password", "privilege"]
    static let timings = ["power_transition_ms", "soft_shutdown_ms", "cycle_off_ms", "os_hung"]
    static let faults = ["packet_loss", "latency_ms", "jitter_ms", "dead", "busy", "stuck_power", "flapping_period_ms",
                         "stale_status_ms", "session_table_full", "credentials_rotated", "slow_session_setup_ms"]
}

import IPMI
import VirtualBMCCore

/// JSON bodies of the management API. Field names match the fleet file's keys; durations are milliseconds.
public struct AddBMCBody: Codable, Sendable {
    public var name: String
    public var address: String?
    public var port: Int
    public var username: String?
    public var password: String?
    public var privilege: String?
    public var power: String?
    public var cipher_suites: [UInt8]?

    public init(name: String, address: String? = nil, port: Int, username: String? = nil, password: String? = nil,
                privilege: String? = nil, power: String? = nil, cipher_suites: [UInt8]? = nil) {
        self.name = name
        self.address = address
        self.port = port
        self.username = username
        self.password = password
        self.privilege = privilege
        self.power = power
        self.cipher_suites = cipher_suites
    }

    func spec() throws -> BMCSpec {
        guard let level = PrivilegeLevel(name: privilege ?? "administrator") else {
            throw FleetError.invalid("unknown privilege '\(privilege ?? "")'")
        }
        guard power == nil || power == "on" || power == "off" else { throw FleetError.invalid("power must be on or off") }
        return BMCSpec(name: name, address: address ?? "127.0.0.1", port: port,
                       users: [UserSpec(name: username ?? "admin", password: password ?? "password", privilege: level)],
                       powerOn: power == "on", cipherSuites: cipher_suites ?? [17, 3])
    }
}

public struct FaultsBody: Codable, Sendable, Hashable {
    public var packet_loss: Double?
    public var latency_ms: Int?
    public var jitter_ms: Int?
    public var dead: Bool?
    public var busy: Double?
    public var stuck_power: Bool?
    public var flapping_period_ms: Int?
    public var stale_status_ms: Int?
    public var session_table_full: Bool?
    public var credentials_rotated: Bool?
    public var slow_session_setup_ms: Int?

    public init(_ faults: FaultSpec) {
        packet_loss = faults.packetLoss == 0 ? nil : faults.packetLoss
        latency_ms = Self.milliseconds(faults.latency)
        jitter_ms = Self.milliseconds(faults.jitter)
        dead = faults.dead ? true : nil
        busy = faults.busy == 0 ? nil : faults.busy
        stuck_power = faults.stuckPower ? true : nil
        flapping_period_ms = faults.flappingPeriod.flatMap(Self.milliseconds)
        stale_status_ms = faults.staleStatus.flatMap(Self.milliseconds)
        session_table_full = faults.sessionTableFull ? true : nil
        credentials_rotated = faults.credentialsRotated ? true : nil
        slow_session_setup_ms = Self.milliseconds(faults.slowSessionSetup)
    }

    static func milliseconds(_ duration: Duration) -> Int? {
        duration == .zero ? nil : Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    public func spec() throws -> FaultSpec {
        for (key, value) in [("latency_ms", latency_ms), ("jitter_ms", jitter_ms), ("flapping_period_ms", flapping_period_ms),
                             ("stale_status_ms", stale_status_ms), ("slow_session_setup_ms", slow_session_setup_ms)] {
            if let value, value < 0 { throw FleetError.invalid("\(key) must not be negative") }
        }
        if let period = flapping_period_ms, period == 0 { throw FleetError.invalid("flapping_period_ms must be positive") }
        return FaultSpec(packetLoss: packet_loss ?? 0, latency: .milliseconds(latency_ms ?? 0), jitter: .milliseconds(jitter_ms ?? 0),
                         dead: dead ?? false, busy: busy ?? 0, stuckPower: stuck_power ?? false,
                         flappingPeriod: flapping_period_ms.map { .milliseconds($0) },
                         staleStatus: stale_status_ms.map { .milliseconds($0) },
                         sessionTableFull: session_table_full ?? false, credentialsRotated: credentials_rotated ?? false,
                         slowSessionSetup: .milliseconds(slow_session_setup_ms ?? 0))
    }
}

public struct ShareFaultsBody: Codable, Sendable {
    public var share: Double
    public var faults: FaultsBody
    public init(share: Double, faults: FaultsBody) {
        self.share = share
        self.faults = faults
    }
}

public struct ChosenBody: Codable, Sendable {
    public var names: [String]
}

public struct ErrorBody: Codable, Sendable {
    public var error: String
}

import IPMI

/// Everything that defines one virtual BMC: where it listens, who may log in, what it is, how its chassis behaves and
/// which faults it shows. Values only; the fleet configuration file is a list of these.
public struct BMCSpec: Sendable, Hashable {
    /// Unique within a fleet; the management API and CLI address BMCs by name.
    public var name: String
    /// A loopback address (127.0.0.0/8 or ::1).
    public var address: String
    public var port: Int
    public var users: [UserSpec]
    /// 16 bytes as sent in RAKP2 and returned by Get System GUID; derived from the name when not given.
    public var guid: [UInt8]
    public var powerOn: Bool
    public var cipherSuites: [UInt8]
    public var timings: ChassisTimings
    public var faults: FaultSpec

    public init(name: String, address: String = "127.0.0.1", port: Int, users: [UserSpec] = [UserSpec()],
                guid: [UInt8]? = nil, powerOn: Bool = false, cipherSuites: [UInt8] = [17, 3],
                timings: ChassisTimings = ChassisTimings(), faults: FaultSpec = FaultSpec()) {
        self.name = name
        self.address = address
        self.port = port
        self.users = users
        self.guid = guid ?? BMCSpec.derivedGUID(name: name)
        self.powerOn = powerOn
        self.cipherSuites = cipherSuites
        self.timings = timings
        self.faults = faults
    }

    /// A stable GUID from the name (FNV-1a spread over 16 bytes), so a fleet restarts with the same identities.
    public static func derivedGUID(name: String) -> [UInt8] {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var out: [UInt8] = []
        for round in 0..<2 {
            for byte in Array(name.utf8) + [UInt8(round)] {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: hash >> UInt64(shift))) }
        }
        return out
    }
}

public struct UserSpec: Sendable, Hashable {
    public var name: String
    public var password: String
    public var privilege: PrivilegeLevel

    public init(name: String = "admin", password: String = "password", privilege: PrivilegeLevel = .administrator) {
        self.name = name
        self.password = password
        self.privilege = privilege
    }
}

/// How long the simulated chassis takes to change state.
public struct ChassisTimings: Sendable, Hashable {
    /// Power on and hard power off.
    public var powerTransition: Duration
    /// A responsive OS finishes an ACPI soft shutdown after this long.
    public var softShutdown: Duration
    /// Off time within a power cycle.
    public var cycleOffTime: Duration
    /// The OS ignores ACPI soft shutdown requests (a hung OS): the chassis stays on.
    public var osHung: Bool

    public init(powerTransition: Duration = .zero, softShutdown: Duration = .zero, cycleOffTime: Duration = .zero,
                osHung: Bool = false) {
        self.powerTransition = powerTransition
        self.softShutdown = softShutdown
        self.cycleOffTime = cycleOffTime
        self.osHung = osHung
    }
}

/// Faults a virtual BMC shows; all randomness comes from the fleet seed so a run repeats.
public struct FaultSpec: Sendable, Hashable {
    /// Probability of dropping each received datagram.
    public var packetLoss: Double
    /// Added to every reply, plus a uniform 0..<jitter.
    public var latency: Duration
    public var jitter: Duration
    /// No answer at all.
    public var dead: Bool
    /// Probability that a command gets completion code C0 (node busy) instead of running.
    public var busy: Double
    /// Chassis Control is accepted (cc 00) but the power state never changes.
    public var stuckPower: Bool
    /// The power state toggles on its own with this period.
    public var flappingPeriod: Duration?
    /// Get Chassis Status reports the power state as it was this long ago.
    public var staleStatus: Duration?
    /// Open Session is refused with RMCP+ status 01 (insufficient resources).
    public var sessionTableFull: Bool
    /// The passwords changed behind the operator's back: every login fails.
    public var credentialsRotated: Bool
    /// Added to the replies of Open Session and RAKP.
    public var slowSessionSetup: Duration

    public init(packetLoss: Double = 0, latency: Duration = .zero, jitter: Duration = .zero, dead: Bool = false,
                busy: Double = 0, stuckPower: Bool = false, flappingPeriod: Duration? = nil, staleStatus: Duration? = nil,
                sessionTableFull: Bool = false, credentialsRotated: Bool = false, slowSessionSetup: Duration = .zero) {
        self.packetLoss = packetLoss
        self.latency = latency
        self.jitter = jitter
        self.dead = dead
        self.busy = busy
        self.stuckPower = stuckPower
        self.flappingPeriod = flappingPeriod
        self.staleStatus = staleStatus
        self.sessionTableFull = sessionTableFull
        self.credentialsRotated = credentialsRotated
        self.slowSessionSetup = slowSessionSetup
    }

    public static let none = FaultSpec()
    public var isNone: Bool { self == .none }
}

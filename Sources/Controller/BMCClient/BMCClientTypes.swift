import IPMI

/// A BMC's LAN endpoint: an IPv4 address (or a name resolved once) and a UDP port.
public struct BMCEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: String
    public var port: Int

    public init(address: String, port: Int = 623) {
        self.address = address
        self.port = port
    }

    public var description: String { "\(address):\(port)" }
}

/// Who the client logs in as. The password and the BMC key never appear in descriptions, dumps or errors.
public struct BMCCredentials: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var username: String
    public var password: String
    public var privilege: PrivilegeLevel
    /// A pinned cipher suite, or nil to ask the BMC and take 17 if listed, else 3.
    public var cipherSuite: UInt8?
    /// The BMC key (Kg), or nil when the BMC uses the password.
    public var kg: [UInt8]?

    public init(username: String, password: String, privilege: PrivilegeLevel = .administrator, cipherSuite: UInt8? = nil,
                kg: [UInt8]? = nil) {
        self.username = username
        self.password = password
        self.privilege = privilege
        self.cipherSuite = cipherSuite
        self.kg = kg
    }

    public var description: String {
        "user \(username) at \(privilege)" + (cipherSuite.map { ", suite \($0)" } ?? "") + (kg == nil ? "" : ", with Kg")
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["username": username, "password": "<redacted>", "privilege": privilege,
                                "cipherSuite": cipherSuite as Any, "kg": kg == nil ? "none" : "<redacted>"])
    }
}

/// How the client talks: retransmissions, timeouts, keep-alives, its timer tick and the scheduling policy.
public struct BMCClientConfiguration: Sendable {
    public var scheduling: BMCSchedulingConfiguration
    /// First retransmission after this; each later one waits one interval longer.
    public var retransmitInterval: Duration
    /// Tries per message (and per handshake) before the request fails with `ConsoleError.timeout`.
    public var maximumAttempts: Int
    /// An idle session sends Get Device ID after this long, so the BMC keeps it.
    public var keepAliveInterval: Duration
    /// Resolution of the one shared timer tick (retransmissions, keep-alives, pacing).
    public var tick: Duration
    /// A request that times out in a session established earlier (which the BMC may have dropped) is sent once
    /// more on a fresh session, this many times. Only reads are repeated: a Chassis Control or a boot-option write
    /// may have run before its answer was lost, and a fresh session would run it again.
    public var staleSessionRetries: Int
    /// Bound on the time `shutdown` waits for Close Session answers.
    public var closeTimeout: Duration
    /// False closes each BMC's session after every request and opens a new one for the next, as one `ipmitool`
    /// run per check does: for BMCs that hold few sessions, and to measure what session reuse saves.
    public var persistentSessions: Bool

    public init(scheduling: BMCSchedulingConfiguration = BMCSchedulingConfiguration(),
                retransmitInterval: Duration = .seconds(1), maximumAttempts: Int = 4, keepAliveInterval: Duration = .seconds(25),
                tick: Duration = .milliseconds(10), staleSessionRetries: Int = 1, closeTimeout: Duration = .seconds(2),
                persistentSessions: Bool = true) {
        self.scheduling = scheduling
        self.retransmitInterval = retransmitInterval
        self.maximumAttempts = max(1, maximumAttempts)
        self.keepAliveInterval = keepAliveInterval
        self.tick = max(.milliseconds(1), tick)
        self.staleSessionRetries = max(0, staleSessionRetries)
        self.closeTimeout = closeTimeout
        self.persistentSessions = persistentSessions
    }
}

/// Failures of the client itself; protocol failures are `ConsoleError`s.
public enum BMCClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The endpoint failed its credentials recently; nothing was sent.
    case backingOff(ConsoleError, retryIn: Duration)
    case notStarted
    case shutDown
    case unresolvable(BMCEndpoint, String)

    public var description: String {
        switch self {
        case .backingOff(let error, let delay):
            "not sent: backing off after a credentials failure (\(error)); next try allowed in \(delay)"
        case .notStarted: "the BMC client is not started"
        case .shutDown: "the BMC client is shut down"
        case .unresolvable(let endpoint, let reason): "cannot resolve \(endpoint): \(reason)"
        }
    }
}

extension IPMIRequest {
    /// Whether running the request twice is harmless: everything but the commands that change the chassis.
    public var isSafeToRepeat: Bool {
        guard netFn & ~1 == NetFn.chassis else { return true }
        return command != ChassisControl.command && command != SystemBootOptions.setCommand
    }
}

/// How a console connects: who it is, what it asks for, how patient it is.
public struct ConsoleConfiguration: Sendable {
    public var username: [UInt8]
    public var password: [UInt8]
    public var kg: [UInt8]?
    /// The privilege the session is raised to after the handshake.
    public var privilege: PrivilegeLevel
    /// A pinned suite, or nil to ask the BMC (Get Channel Cipher Suites) and take 17 if listed, else 3.
    public var cipherSuite: UInt8?
    /// Suite 0 has no authentication at all; it is refused unless this is set.
    public var allowsSuite0: Bool
    /// RAKP1 name-only lookup (role bit 4), as ipmitool sends by default.
    public var nameOnlyLookup: Bool
    /// First retransmission after this; each later one waits one interval longer (1 s, 2 s, 3 s, 4 s by default).
    public var retransmitInterval: Duration
    /// Tries per message (and per handshake) before giving up.
    public var maximumAttempts: Int
    /// An idle session sends Get Device ID after this long, so the BMC does not expire it.
    public var keepAliveInterval: Duration

    public init(username: String, password: String, kg: [UInt8]? = nil, privilege: PrivilegeLevel = .administrator,
                cipherSuite: UInt8? = nil, allowsSuite0: Bool = false, nameOnlyLookup: Bool = true,
                retransmitInterval: Duration = .seconds(1), maximumAttempts: Int = 4, keepAliveInterval: Duration = .seconds(25)) {
        self.username = Array(username.utf8)
        self.password = Array(password.utf8)
        self.kg = kg
        self.privilege = privilege
        self.cipherSuite = cipherSuite
        self.allowsSuite0 = allowsSuite0
        self.nameOnlyLookup = nameOnlyLookup
        self.retransmitInterval = retransmitInterval
        self.maximumAttempts = max(1, maximumAttempts)
        self.keepAliveInterval = keepAliveInterval
    }
}

/// Why a console session or request failed. Messages never include secrets.
public enum ConsoleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The BMC does not know the user name (RAKP2 status 0D).
    case unknownUser
    /// RAKP2's AuthCode does not verify under our password: the password is wrong.
    case wrongPassword
    /// RAKP4's check value does not verify: the password was right, so the BMC key (Kg) differs.
    case wrongBMCKey
    case unsupportedCipherSuite(UInt8, RMCPPlusStatus?)
    case insufficientPrivilege(requested: PrivilegeLevel)
    case rmcpPlusNotSupported
    case handshakeRejected(RMCPPlusStatus)
    case timeout(String)
    case completionCode(CompletionCode, String)
    case protocolViolation(String)
    case sessionClosed

    public var description: String {
        switch self {
        case .unknownUser: "the BMC does not know this user name (RMCP+ status 0D)"
        case .wrongPassword: "wrong password: the BMC's RAKP2 AuthCode does not verify"
        case .wrongBMCKey: "the password is right but the BMC key (Kg) differs: RAKP4 does not verify"
        case .unsupportedCipherSuite(let id, let status):
            "cipher suite \(id) is not supported" + (status.map { " (RMCP+ status \($0))" } ?? "")
        case .insufficientPrivilege(let level): "the user may not hold \(level) privilege on this BMC"
        case .rmcpPlusNotSupported: "the BMC does not offer IPMI v2.0 / RMCP+"
        case .handshakeRejected(let status): "the BMC refused the session: RMCP+ status \(status)"
        case .timeout(let what): "no answer from the BMC to \(what)"
        case .completionCode(let code, let what): "\(what) failed with completion code \(code)"
        case .protocolViolation(let what): "the BMC broke the protocol: \(what)"
        case .sessionClosed: "the session is closed"
        }
    }
}

/// Identifies a request handed to a console session.
public struct RequestToken: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public var description: String { "request #\(rawValue)" }
}

/// Identifies a timer the shell started for the machine; stale timers are ignored when they fire.
public struct TimerToken: Hashable, Sendable {
    public let rawValue: UInt64
}

/// What an established session negotiated.
public struct SessionSummary: Sendable, Hashable {
    public var suite: CipherSuite
    public var privilege: PrivilegeLevel
    public var consoleSessionID: UInt32
    public var bmcSessionID: UInt32
}

/// What the shell must do for the console machine.
public enum ConsoleAction: Sendable {
    case send([UInt8])
    case startTimer(TimerToken, after: Duration)
    case established(SessionSummary)
    case completed(RequestToken, Result<IPMIResponse, ConsoleError>)
    /// The session failed; every pending request has been completed with an error before this.
    case failed(ConsoleError)
    case closed
}

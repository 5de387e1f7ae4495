/// A user of a BMC: name, password (Kuid) and the highest privilege the user may hold.
public struct BMCUser: Sendable, Hashable {
    public var name: [UInt8]
    public var password: [UInt8]
    public var maximumPrivilege: PrivilegeLevel
    public var enabled: Bool

    public init(name: String, password: String, maximumPrivilege: PrivilegeLevel = .administrator, enabled: Bool = true) {
        self.name = Array(name.utf8)
        self.password = Array(password.utf8.prefix(20))
        self.maximumPrivilege = maximumPrivilege
        self.enabled = enabled
    }
}

/// Identifies a command for privilege checks: the request netFn (even) and command code.
public struct CommandKey: Hashable, Sendable {
    public var netFn: UInt8
    public var command: UInt8
    public init(netFn: UInt8, command: UInt8) {
        self.netFn = netFn & ~1
        self.command = command
    }
}

public struct BMCConfiguration: Sendable {
    public var users: [BMCUser]
    /// 16 bytes, in the order sent in RAKP2 and returned by Get System GUID.
    public var guid: [UInt8]
    /// The BMC key: when set it replaces the password as the SIK key.
    public var kg: [UInt8]?
    /// Suites offered and accepted; suite 0 is accepted only if listed here.
    public var cipherSuites: [CipherSuite]
    public var channel: UInt8
    public var channelPrivilegeLimit: PrivilegeLevel
    /// Concurrent sessions, half-open ones included; more get RMCP+ status 01.
    public var maximumSessions: Int
    /// A handshake not finished within this is dropped (clients send no RAKP3 after a wrong password).
    public var setupTimeout: Duration
    /// An active session with no valid packet for this long is dropped.
    public var idleTimeout: Duration
    /// How long an answer is replayed for a retransmitted request instead of running it again (ipmitool retries for
    /// 10 s in all).
    public var retransmitCacheLifetime: Duration
    /// Commands the application above the session layer answers, with the privilege each needs.
    /// Anything else gets completion code C1 at once.
    public var commandPrivileges: [CommandKey: PrivilegeLevel]

    public init(users: [BMCUser], guid: [UInt8], kg: [UInt8]? = nil, cipherSuites: [CipherSuite] = [.suite17, .suite3],
                channel: UInt8 = 1, channelPrivilegeLimit: PrivilegeLevel = .administrator, maximumSessions: Int = 16,
                setupTimeout: Duration = .seconds(5), idleTimeout: Duration = .seconds(60),
                retransmitCacheLifetime: Duration = .seconds(12),
                commandPrivileges: [CommandKey: PrivilegeLevel] = Self.chassisCommandPrivileges) {
        precondition(guid.count == 16, "a BMC GUID is 16 bytes")
        self.users = users
        self.guid = guid
        self.kg = kg
        self.cipherSuites = cipherSuites
        self.channel = channel
        self.channelPrivilegeLimit = channelPrivilegeLimit
        self.maximumSessions = maximumSessions
        self.setupTimeout = setupTimeout
        self.idleTimeout = idleTimeout
        self.retransmitCacheLifetime = retransmitCacheLifetime
        self.commandPrivileges = commandPrivileges
    }

    /// The commands of a chassis-control BMC and their minimum privilege (IPMI v2.0 appendix G).
    public static let chassisCommandPrivileges: [CommandKey: PrivilegeLevel] = [
        CommandKey(netFn: NetFn.application, command: GetDeviceID.command): .user,
        CommandKey(netFn: NetFn.application, command: GetSystemGUID.command): .user,
        CommandKey(netFn: NetFn.chassis, command: GetChassisStatus.command): .user,
        CommandKey(netFn: NetFn.chassis, command: ChassisControl.command): .operator,
        CommandKey(netFn: NetFn.chassis, command: SystemBootOptions.setCommand): .operator,
        CommandKey(netFn: NetFn.chassis, command: SystemBootOptions.getCommand): .operator,
    ]
}

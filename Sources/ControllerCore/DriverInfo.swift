/// IPMI privilege levels accepted in `ipmi_priv_level` (ironic.md I1); Ironic defaults to ADMINISTRATOR.
public enum IPMIPrivilegeLevel: String, Hashable, Sendable, CaseIterable {
    case callback = "CALLBACK"
    case user = "USER"
    case `operator` = "OPERATOR"
    case administrator = "ADMINISTRATOR"
}

/// A secret that prints as `***`, so a node logged or interpolated never leaks it. The value is reachable only
/// through `revealed`, which makes every use easy to find.
public struct Secret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public let revealed: String
    public init(_ value: String) { revealed = value }
    public var description: String { "***" }
    public var debugDescription: String { "Secret(***)" }
    /// `dump()` and `Mirror` would otherwise walk into `revealed`.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Ironic's `driver_info` for the `ipmi` driver, with its key names in the raw forms below.
public struct DriverInfo: Hashable, Sendable, CustomStringConvertible {
    public var ipmiAddress: String
    public var ipmiPort: UInt16
    public var ipmiUsername: String?
    public var ipmiPassword: Secret?
    public var ipmiPrivLevel: IPMIPrivilegeLevel
    /// nil lets the client negotiate, as Ironic does when the key is unset.
    public var ipmiCipherSuite: Int?
    /// The BMC key (`ipmi_hex_kg_key`), hex; a secret like the password.
    public var ipmiKg: Secret?

    public init(
        ipmiAddress: String,
        ipmiPort: UInt16 = 623,
        ipmiUsername: String? = nil,
        ipmiPassword: String? = nil,
        ipmiPrivLevel: IPMIPrivilegeLevel = .administrator,
        ipmiCipherSuite: Int? = nil,
        ipmiKg: String? = nil
    ) {
        self.ipmiAddress = ipmiAddress
        self.ipmiPort = ipmiPort
        self.ipmiUsername = ipmiUsername
        self.ipmiPassword = ipmiPassword.map(Secret.init)
        self.ipmiPrivLevel = ipmiPrivLevel
        self.ipmiCipherSuite = ipmiCipherSuite
        self.ipmiKg = ipmiKg.map(Secret.init)
    }

    /// Ironic's `power.validate()`: parses only, never contacts the BMC. Returns the problem, or nil when usable.
    public var validationError: String? {
        if ipmiAddress.isEmpty { return "Missing the following IPMI credentials in node's driver_info: ipmi_address" }
        if let kg = ipmiKg?.revealed, kg.count % 2 != 0 { return "ipmi_hex_kg_key must have an even length" }
        if let suite = ipmiCipherSuite, !(0...17).contains(suite) { return "ipmi_cipher_suite \(suite) is invalid" }
        return nil
    }

    public var description: String {
        let user = ipmiUsername ?? "<null user>"
        let suite = ipmiCipherSuite.map(String.init) ?? "auto"
        let password = ipmiPassword == nil ? "unset" : "***"
        return "ipmi://\(user)@\(ipmiAddress):\(ipmiPort) priv=\(ipmiPrivLevel.rawValue) cipher=\(suite) "
            + "password=\(password) kg=\(ipmiKg == nil ? "unset" : "***")"
    }
}

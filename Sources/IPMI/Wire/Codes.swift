/// IPMI privilege levels (spec table 6-2). `none` (0) only appears in Open Session, meaning "highest available".
public enum PrivilegeLevel: UInt8, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case none = 0
    case callback = 1
    case user = 2
    case `operator` = 3
    case administrator = 4
    case oem = 5

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .none: "none"
        case .callback: "CALLBACK"
        case .user: "USER"
        case .operator: "OPERATOR"
        case .administrator: "ADMINISTRATOR"
        case .oem: "OEM"
        }
    }

    /// Accepts the names ipmitool and FreeIPMI use on their command lines.
    public init?(name: String) {
        switch name.lowercased() {
        case "callback": self = .callback
        case "user": self = .user
        case "operator": self = .operator
        case "admin", "administrator": self = .administrator
        case "oem": self = .oem
        default: return nil
        }
    }
}

/// Network function codes of requests (responses use the odd value, `netFn | 1`).
public enum NetFn {
    public static let chassis: UInt8 = 0x00
    public static let application: UInt8 = 0x06
    public static let groupExtension: UInt8 = 0x2C
}

/// IPMI completion codes (spec table 5-2); command-specific codes 0x80-0xBE keep their raw value.
public struct CompletionCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static let ok = Self(0x00)
    public static let nodeBusy = Self(0xC0)
    public static let invalidCommand = Self(0xC1)
    public static let invalidForLUN = Self(0xC2)
    public static let timeout = Self(0xC3)
    public static let outOfSpace = Self(0xC4)
    public static let requestDataTruncated = Self(0xC6)
    public static let requestDataLengthInvalid = Self(0xC7)
    public static let parameterOutOfRange = Self(0xC9)
    public static let invalidDataField = Self(0xCC)
    public static let duplicateRequest = Self(0xCF)
    public static let destinationUnavailable = Self(0xD3)
    public static let insufficientPrivilege = Self(0xD4)
    public static let notSupportedInPresentState = Self(0xD5)
    public static let unspecified = Self(0xFF)

    public var description: String {
        let name: String
        switch rawValue {
        case 0x00: name = "command completed normally"
        case 0xC0: name = "node busy"
        case 0xC1: name = "invalid command"
        case 0xC2: name = "command invalid for given LUN"
        case 0xC3: name = "timeout while processing command"
        case 0xC4: name = "out of space"
        case 0xC5: name = "reservation cancelled"
        case 0xC6: name = "request data truncated"
        case 0xC7: name = "request data length invalid"
        case 0xC8: name = "request data field length limit exceeded"
        case 0xC9: name = "parameter out of range"
        case 0xCA: name = "cannot return number of requested data bytes"
        case 0xCB: name = "requested sensor, data, or record not present"
        case 0xCC: name = "invalid data field in request"
        case 0xCD: name = "command illegal for specified sensor or record type"
        case 0xCE: name = "command response could not be provided"
        case 0xCF: name = "cannot execute duplicated request"
        case 0xD0: name = "SDR repository in update mode"
        case 0xD1: name = "device in firmware update mode"
        case 0xD2: name = "BMC initialization in progress"
        case 0xD3: name = "destination unavailable"
        case 0xD4: name = "insufficient privilege level"
        case 0xD5: name = "command not supported in present state"
        case 0xD6: name = "command sub-function disabled or unavailable"
        case 0xFF: name = "unspecified error"
        case 0x80...0xBE: name = "command-specific error"
        default: name = "unknown completion code"
        }
        return "0x\(hex(rawValue)) (\(name))"
    }
}

/// RMCP+ status codes carried in Open Session Response and RAKP messages 2-4 (spec table 13-15).
public struct RMCPPlusStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static let noErrors = Self(0x00)
    public static let insufficientResources = Self(0x01)
    public static let invalidSessionID = Self(0x02)
    public static let invalidPayloadType = Self(0x03)
    public static let invalidAuthenticationAlgorithm = Self(0x04)
    public static let invalidIntegrityAlgorithm = Self(0x05)
    public static let noMatchingAuthenticationPayload = Self(0x06)
    public static let noMatchingIntegrityPayload = Self(0x07)
    public static let inactiveSessionID = Self(0x08)
    public static let invalidRole = Self(0x09)
    public static let unauthorizedRoleOrPrivilege = Self(0x0A)
    public static let insufficientResourcesForRole = Self(0x0B)
    public static let invalidNameLength = Self(0x0C)
    public static let unauthorizedName = Self(0x0D)
    public static let unauthorizedGUID = Self(0x0E)
    public static let invalidIntegrityCheckValue = Self(0x0F)
    public static let invalidConfidentialityAlgorithm = Self(0x10)
    public static let noCipherSuiteMatch = Self(0x11)
    public static let illegalParameter = Self(0x12)

    public var description: String {
        let names = [
            "no errors", "insufficient resources to create a session", "invalid session ID", "invalid payload type",
            "invalid authentication algorithm", "invalid integrity algorithm", "no matching authentication payload",
            "no matching integrity payload", "inactive session ID", "invalid role",
            "unauthorized role or privilege level requested", "insufficient resources to create a session at the requested role",
            "invalid name length", "unauthorized name", "unauthorized GUID", "invalid integrity check value",
            "invalid confidentiality algorithm", "no cipher suite match with proposed security algorithms",
            "illegal or unrecognized parameter",
        ]
        let name = Int(rawValue) < names.count ? names[Int(rawValue)] : "reserved"
        return "0x\(hex(rawValue)) (\(name))"
    }
}

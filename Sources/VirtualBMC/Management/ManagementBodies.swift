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

/// Faults in requests and answers are `BMCSnapshot.Faults`: the fleet file's keys, durations in milliseconds, and
/// every key optional in a request.
public struct ShareFaultsBody: Codable, Sendable {
    public var share: Double
    public var faults: BMCSnapshot.Faults
    public init(share: Double, faults: BMCSnapshot.Faults) {
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

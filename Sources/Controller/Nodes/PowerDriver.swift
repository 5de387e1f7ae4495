import ControllerCore
import IPMI

/// What a node actor needs from a BMC: read the power state, send a chassis command. Production uses
/// `BMCPowerDriver` over the shared `BMCClient`; tests and the simulator plug in their own.
public protocol PowerDriver: Sendable {
    func readPowerState(_ info: DriverInfo) async throws -> PowerState
    func chassisControl(_ kind: ChassisControlKind, _ info: DriverInfo) async throws
}

/// `PowerDriver` over one `BMCClient`: every node's BMC shares its socket, sessions and pacing.
public struct BMCPowerDriver: PowerDriver {
    public let client: BMCClient

    public init(client: BMCClient) { self.client = client }

    public func readPowerState(_ info: DriverInfo) async throws -> PowerState {
        let (endpoint, credentials) = try info.bmcTarget()
        return try await client.powerIsOn(endpoint, credentials: credentials) ? .powerOn : .powerOff
    }

    public func chassisControl(_ kind: ChassisControlKind, _ info: DriverInfo) async throws {
        let (endpoint, credentials) = try info.bmcTarget()
        guard let command = ChassisControl(rawValue: kind.rawValue) else {
            throw DriverInfoError("chassis control \(kind) has no IPMI command")
        }
        try await client.chassisControl(command, endpoint, credentials: credentials)
    }
}

/// driver_info that parses (`DriverInfo.validationError` is nil) but cannot be turned into a session.
public struct DriverInfoError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension DriverInfo {
    /// The endpoint and credentials a session needs. An unset user is IPMI's null user, an unset password empty.
    public func bmcTarget() throws -> (BMCEndpoint, BMCCredentials) {
        let privilege: PrivilegeLevel =
            switch ipmiPrivLevel {
            case .callback: .callback
            case .user: .user
            case .operator: .operator
            case .administrator: .administrator
            }
        var kg: [UInt8]?
        if let hex = ipmiKg?.revealed {
            guard let bytes = Self.bytes(fromHex: hex) else { throw DriverInfoError("ipmi_hex_kg_key is not hexadecimal") }
            kg = bytes
        }
        let credentials = BMCCredentials(username: ipmiUsername ?? "", password: ipmiPassword?.revealed ?? "",
                                         privilege: privilege, cipherSuite: ipmiCipherSuite.map { UInt8($0) }, kg: kg)
        return (BMCEndpoint(address: ipmiAddress, port: Int(ipmiPort)), credentials)
    }

    private static func bytes(fromHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

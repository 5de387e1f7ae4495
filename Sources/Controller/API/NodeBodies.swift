import ControllerCore
import Foundation

/// driver_info as a client sends it, with Ironic's key names.
struct DriverInfoBody: Codable, Sendable {
    var ipmiAddress: String?
    var ipmiPort: FlexibleInt?
    var ipmiUsername: String?
    var ipmiPassword: String?
    var ipmiPrivLevel: String?
    var ipmiCipherSuite: FlexibleInt?
    var ipmiHexKgKey: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ipmiAddress = "ipmi_address", ipmiPort = "ipmi_port", ipmiUsername = "ipmi_username"
        case ipmiPassword = "ipmi_password", ipmiPrivLevel = "ipmi_priv_level", ipmiCipherSuite = "ipmi_cipher_suite"
        case ipmiHexKgKey = "ipmi_hex_kg_key"
    }

    /// Parses what a client sent; throws `APIError.badRequest` naming the key.
    func driverInfo() throws(APIError) -> DriverInfo {
        guard let address = ipmiAddress, !address.isEmpty else {
            throw .badRequest("driver_info is missing ipmi_address")
        }
        let port = ipmiPort?.value ?? 623
        guard (1...65535).contains(port) else { throw .badRequest("driver_info ipmi_port \(port) is not a UDP port") }
        var privilege = IPMIPrivilegeLevel.administrator
        if let level = ipmiPrivLevel {
            guard let parsed = IPMIPrivilegeLevel(rawValue: level.uppercased()) else {
                throw .badRequest("driver_info ipmi_priv_level '\(level)' is not one of "
                    + IPMIPrivilegeLevel.allCases.map(\.rawValue).joined(separator: ", "))
            }
            privilege = parsed
        }
        let info = DriverInfo(ipmiAddress: address, ipmiPort: UInt16(port), ipmiUsername: ipmiUsername,
                              ipmiPassword: ipmiPassword, ipmiPrivLevel: privilege, ipmiCipherSuite: ipmiCipherSuite?.value,
                              ipmiKg: ipmiHexKgKey)
        if let problem = info.validationError { throw .badRequest(problem) }
        if (try? info.bmcTarget()) == nil { throw .badRequest("driver_info ipmi_hex_kg_key is not hexadecimal") }
        return info
    }
}

/// Ironic takes ports and suites as numbers or numeric strings.
struct FlexibleInt: Codable, Sendable {
    var value: Int
    init(_ value: Int) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Int(text) {
            value = number
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a whole number")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// `POST /v1/nodes`.
struct CreateNodeBody: Decodable, Sendable {
    var uuid: String?
    var name: String?
    var driver: String?
    var driverInfo: DriverInfoBody?
    var instanceUUID: String?

    enum CodingKeys: String, CodingKey {
        case uuid, name, driver, driverInfo = "driver_info", instanceUUID = "instance_uuid"
    }

    /// Keys Ironic's schema allows that Ferrum accepts and ignores (its only driver has fixed interfaces).
    static let ignoredKeys: Set<String> = [
        "properties", "resource_class", "description", "owner", "lessee", "conductor_group", "chassis_uuid",
        "boot_interface", "console_interface", "deploy_interface", "inspect_interface", "management_interface",
        "network_interface", "power_interface", "raid_interface", "rescue_interface", "storage_interface",
        "vendor_interface", "bios_interface", "firmware_interface", "automated_clean", "network_data", "shard",
        "instance_info", "disable_power_off",
    ]
    static let knownKeys: Set<String> = ["uuid", "name", "driver", "driver_info", "instance_uuid", "extra"]
}

/// `PUT /v1/nodes/{id}/states/power`.
struct PowerTargetBody: Decodable, Sendable {
    var target: String
    var timeout: Int?
}

/// `PUT /v1/nodes/{id}/states/provision`.
struct ProvisionTargetBody: Decodable, Sendable {
    var target: String
}

/// `PUT /v1/nodes/{id}/maintenance`.
struct MaintenanceBody: Decodable, Sendable {
    var reason: String?
}

struct HealthBody: Encodable, Sendable {
    var status: String
    var nodes: Int
    var lastSyncPass: String?
    var nova: NovaHealth

    enum CodingKeys: String, CodingKey { case status, nodes, lastSyncPass = "last_sync_pass", nova }
}

/// The notifier in `/health`: `disabled` (none runs), `ok`, or `error` with Nova's refusal until a request succeeds.
struct NovaHealth: Encodable, Sendable {
    var status: String
    var error: String?
    /// Events the notifier knows of that are neither delivered nor dropped yet.
    var unsettled: Int?

    init(_ notifier: NovaNotifier?) async {
        guard let notifier else {
            status = "disabled"
            return
        }
        error = await notifier.configurationError
        status = error == nil ? "ok" : "error"
        unsettled = await notifier.unsettledCount
    }
}


import ControllerCore
import Foundation

/// driver_info as Ironic's API shows it: secrets always `******`.
struct DriverInfoBody: Codable, Sendable {
    var ipmiAddress: String?
    var ipmiPort: FlexibleInt?
    var ipmiUsername: String?
    var ipmiPassword: String?
    var ipmiPrivLevel: String?
    var ipmiCipherSuite: FlexibleInt?
    var ipmiHexKgKey: String?

    enum CodingKeys: String, CodingKey {
        case ipmiAddress = "ipmi_address", ipmiPort = "ipmi_port", ipmiUsername = "ipmi_username"
        case ipmiPassword = "ipmi_password", ipmiPrivLevel = "ipmi_priv_level", ipmiCipherSuite = "ipmi_cipher_suite"
        case ipmiHexKgKey = "ipmi_hex_kg_key"
    }

    static let redacted = "******"

    init(redacting info: DriverInfo) {
        ipmiAddress = info.ipmiAddress
        ipmiPort = FlexibleInt(Int(info.ipmiPort))
        ipmiUsername = info.ipmiUsername
        ipmiPassword = info.ipmiPassword == nil ? nil : Self.redacted
        ipmiPrivLevel = info.ipmiPrivLevel.rawValue
        ipmiCipherSuite = info.ipmiCipherSuite.map(FlexibleInt.init)
        ipmiHexKgKey = info.ipmiKg == nil ? nil : Self.redacted
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

/// A node as Ironic's API returns it.
struct NodeBody: Encodable, Sendable {
    var uuid: String
    var name: String?
    var driver: String
    var driverInfo: DriverInfoBody
    var powerState: String?
    var targetPowerState: String?
    var provisionState: String
    var targetProvisionState: String?
    var maintenance: Bool
    var maintenanceReason: String?
    var fault: String?
    var lastError: String?
    var instanceUUID: String?
    var createdAt: String
    var updatedAt: String?

    enum CodingKeys: String, CodingKey {
        case uuid, name, driver, driverInfo = "driver_info", powerState = "power_state"
        case targetPowerState = "target_power_state", provisionState = "provision_state"
        case targetProvisionState = "target_provision_state", maintenance, maintenanceReason = "maintenance_reason"
        case fault, lastError = "last_error", instanceUUID = "instance_uuid", createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    init(_ node: Node) {
        uuid = node.id
        name = node.name
        driver = node.driver
        driverInfo = DriverInfoBody(redacting: node.driverInfo)
        powerState = node.powerState?.rawValue
        targetPowerState = node.targetPowerState?.rawValue
        provisionState = node.provisionState.rawValue
        maintenance = node.maintenance
        maintenanceReason = node.maintenanceReason
        fault = node.fault?.rawValue
        lastError = node.lastError
        instanceUUID = node.instanceUUID
        createdAt = node.createdAt.iso8601
        updatedAt = node.updatedAt?.iso8601
    }

    // Explicit nulls, as Ironic sends them: clients test `power_state is None`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(uuid, forKey: .uuid)
        try container.encode(name, forKey: .name)
        try container.encode(driver, forKey: .driver)
        try container.encode(driverInfo, forKey: .driverInfo)
        try container.encode(powerState, forKey: .powerState)
        try container.encode(targetPowerState, forKey: .targetPowerState)
        try container.encode(provisionState, forKey: .provisionState)
        try container.encode(targetProvisionState, forKey: .targetProvisionState)
        try container.encode(maintenance, forKey: .maintenance)
        try container.encode(maintenanceReason, forKey: .maintenanceReason)
        try container.encode(fault, forKey: .fault)
        try container.encode(lastError, forKey: .lastError)
        try container.encode(instanceUUID, forKey: .instanceUUID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

struct NodeListBody: Encodable, Sendable {
    var nodes: [NodeBody]
}

/// `GET /v1/nodes/{id}/states`.
struct NodeStatesBody: Encodable, Sendable {
    var powerState: String?
    var targetPowerState: String?
    var provisionState: String
    var lastError: String?

    enum CodingKeys: String, CodingKey {
        case powerState = "power_state", targetPowerState = "target_power_state", provisionState = "provision_state"
        case lastError = "last_error"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(powerState, forKey: .powerState)
        try container.encode(targetPowerState, forKey: .targetPowerState)
        try container.encode(provisionState, forKey: .provisionState)
        try container.encode(lastError, forKey: .lastError)
    }
}

struct HealthBody: Encodable, Sendable {
    var status: String
    var nodes: Int
    var lastSyncPass: String?

    enum CodingKeys: String, CodingKey { case status, nodes, lastSyncPass = "last_sync_pass" }
}

extension Timestamp {
    /// Production timestamps count from the Unix epoch.
    var iso8601: String {
        let seconds = Double(sinceEpoch.components.seconds) + Double(sinceEpoch.components.attoseconds) / 1e18
        return Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }
}

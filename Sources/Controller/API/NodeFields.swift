import ControllerCore
import Foundation

/// Ironic's node fields as this API renders them: which version introduced each, and its value for a node.
/// Fields Ferrum has no concept of (properties, traits, interfaces, ...) are still served, with Ironic's empty
/// values, because clients such as nova ask for them by name.
enum NodeFields {
    /// What the list shows without `fields` or `detail` (ironic.md A4).
    static let listDefault = ["uuid", "name", "instance_uuid", "power_state", "provision_state", "maintenance", "links"]

    /// Field name → the microversion that introduced it (1 = always there).
    static let introducedIn: [String: Int] = [
        "uuid": 1, "name": 5, "driver": 1, "driver_info": 1, "driver_internal_info": 1, "power_state": 1,
        "target_power_state": 1, "provision_state": 1, "target_provision_state": 1, "provision_updated_at": 1,
        "maintenance": 1, "maintenance_reason": 1, "last_error": 1, "instance_uuid": 1, "instance_info": 1,
        "extra": 1, "properties": 1, "reservation": 1, "console_enabled": 1, "chassis_uuid": 1, "created_at": 1,
        "updated_at": 1, "links": 1, "inspection_started_at": 6, "inspection_finished_at": 6, "clean_step": 7,
        "raid_config": 12, "target_raid_config": 12, "states": 14, "network_interface": 20, "resource_class": 21,
        "boot_interface": 31, "console_interface": 31, "deploy_interface": 31, "inspect_interface": 31,
        "management_interface": 31, "power_interface": 31, "raid_interface": 31, "vendor_interface": 31,
        "storage_interface": 33, "traits": 37, "rescue_interface": 38, "bios_interface": 40, "fault": 42,
        "deploy_step": 44, "conductor_group": 46, "automated_clean": 47, "protected": 48, "protected_reason": 48,
        "conductor": 49, "owner": 50, "description": 51, "allocation_uuid": 52, "retired": 61, "retired_reason": 61,
        "lessee": 65, "network_data": 66, "boot_mode": 75, "secure_boot": 75, "shard": 82, "parent_node": 83,
        "firmware_interface": 86, "service_step": 87, "disable_power_off": 95,
    ]

    /// Every field visible at `version`, for `detail` and a single node.
    static func all(at version: APIVersion) -> [String] {
        introducedIn.filter { $0.value <= version.minor }.map(\.key).sorted()
    }

    /// Validates a `fields=` list: unknown or too-new names are a 400 (ironic.md A5).
    static func parse(_ list: String, at version: APIVersion) throws(APIError) -> [String] {
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw .badRequest("fields must name at least one field") }
        let invalid = names.filter { (introducedIn[$0] ?? .max) > version.minor }
        guard invalid.isEmpty else {
            throw .badRequest("Field(s) \"\(invalid.joined(separator: ", "))\" are not valid")
        }
        // Ironic always includes uuid when fields are chosen, so links and follow-ups keep working.
        return names.contains("uuid") ? names : ["uuid"] + names
    }

    /// The node as a JSON object with just `fields`.
    static func render(_ node: Node, fields: [String], version: APIVersion, baseURL: String) -> [String: Any] {
        var object: [String: Any] = [:]
        for field in fields { object[field] = value(field, of: node, version: version, baseURL: baseURL) }
        return object
    }

    private static func value(_ field: String, of node: Node, version: APIVersion, baseURL: String) -> Any {
        let null = NSNull()
        switch field {
        case "uuid": return node.id
        case "name": return node.name ?? null
        case "driver": return node.driver
        case "driver_info": return maskedDriverInfo(node.driverInfo)
        case "power_state": return node.powerState?.rawValue ?? null
        case "target_power_state": return node.targetPowerState?.rawValue ?? null
        case "provision_state":
            // Before 1.2 Ironic showed `available` as null (NOSTATE).
            if node.provisionState == .available, version.minor < 2 { return null }
            return node.provisionState.rawValue
        case "maintenance": return node.maintenance
        case "maintenance_reason": return node.maintenanceReason ?? null
        case "fault": return node.fault?.rawValue ?? null
        case "last_error": return node.lastError ?? null
        case "instance_uuid": return node.instanceUUID ?? null
        case "extra": return (try? JSONSerialization.jsonObject(with: Data(node.extra.utf8))) ?? [String: Any]()
        case "created_at": return node.createdAt.iso8601
        case "updated_at", "provision_updated_at": return node.updatedAt?.iso8601 ?? null
        case "links": return links(baseURL, "nodes/\(node.id)")
        case "states": return links(baseURL, "nodes/\(node.id)/states")
        case "console_enabled", "protected", "retired", "disable_power_off": return false
        case "properties", "driver_internal_info", "instance_info", "raid_config", "target_raid_config", "clean_step",
             "deploy_step", "service_step": return [String: Any]()
        case "traits": return [String]()
        case "conductor_group": return ""
        case "power_interface", "management_interface": return "ipmitool"
        default: return null
        }
    }

    /// Ironic masks secrets in driver_info with `******` (ironic.md A5). Ferrum also masks the BMC key, which
    /// Ironic leaves in clear: it is as much a credential as the password.
    static func maskedDriverInfo(_ info: DriverInfo) -> [String: Any] {
        var object: [String: Any] = [
            "ipmi_address": info.ipmiAddress, "ipmi_port": Int(info.ipmiPort), "ipmi_priv_level": info.ipmiPrivLevel.rawValue,
        ]
        if let user = info.ipmiUsername { object["ipmi_username"] = user }
        if info.ipmiPassword != nil { object["ipmi_password"] = "******" }
        if let suite = info.ipmiCipherSuite { object["ipmi_cipher_suite"] = suite }
        if info.ipmiKg != nil { object["ipmi_hex_kg_key"] = "******" }
        return object
    }

    static func links(_ baseURL: String, _ path: String) -> [[String: String]] {
        [["href": "\(baseURL)/v1/\(path)", "rel": "self"], ["href": "\(baseURL)/\(path)", "rel": "bookmark"]]
    }
}

extension Timestamp {
    /// Production timestamps count from the Unix epoch; Ironic prints them with an offset.
    var iso8601: String {
        let seconds = Double(sinceEpoch.components.seconds) + Double(sinceEpoch.components.attoseconds) / 1e18
        return Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }
}

import ControllerCore
import Foundation

/// `PATCH /v1/nodes/{id}`: RFC 6902 `add`, `replace` and `remove` on the fields Ironic lets users patch that mean
/// something here (ironic.md A8). Everything else is refused with Ironic's message.
enum NodePatch {
    static let patchable = ["/name", "/driver_info", "/instance_uuid", "/extra", "/maintenance", "/maintenance_reason"]

    /// One checked operation; the value travels as JSON so the operation can cross into the node's actor.
    struct Operation: Sendable {
        var op: String
        var path: String
        var value: Data?
    }

    /// Checks the shape of a JSON Patch document before any node is touched.
    static func operations(from body: Any) throws(APIError) -> [Operation] {
        // Empty is valid, as in Ironic's schema: openstacksdk's update_node sends `[]` after it has set maintenance
        // through /maintenance, and expects the node back.
        guard let operations = body as? [[String: Any]] else {
            throw .badRequest("The patch must be a JSON array of operations")
        }
        var checked: [Operation] = []
        for operation in operations {
            guard let op = operation["op"] as? String, ["add", "replace", "remove"].contains(op) else {
                throw .badRequest("Patch operation \"\(operation["op"] ?? "")\" is not supported; use add, replace or remove")
            }
            guard let path = operation["path"] as? String, path.hasPrefix("/") else {
                throw .badRequest("Every patch operation needs a \"path\" such as /name")
            }
            var value: Data?
            if op != "remove" {
                guard let given = operation["value"],
                      let data = try? JSONSerialization.data(withJSONObject: given, options: [.fragmentsAllowed]) else {
                    throw .badRequest("Patch operation \(op) \(path) needs a \"value\"")
                }
                value = data
            }
            checked.append(Operation(op: op, path: path, value: value))
        }
        return checked
    }

    static func apply(_ operations: [Operation], to node: inout Node, at now: Timestamp) throws(APIError) {
        for operation in operations { try apply(operation, to: &node, at: now) }
    }

    private static func apply(_ operation: Operation, to node: inout Node, at now: Timestamp) throws(APIError) {
        let path = operation.path
        let removing = operation.op == "remove"
        let value = operation.value.flatMap { try? JSONSerialization.jsonObject(with: $0, options: [.fragmentsAllowed]) }
        let parts = path.dropFirst().split(separator: "/", maxSplits: 1).map(String.init)
        switch (parts.first ?? "", parts.count) {
        case ("name", 1):
            node.name = removing ? nil : try optionalString(value, path)
            if let name = node.name { try NodeNames.validate(name) }
        case ("instance_uuid", 1):
            let new = removing ? nil : try optionalString(value, path)
            if let current = node.instanceUUID, let new, new != current {
                throw .conflict("Node \(node.id) is associated with instance \(current).")
            }
            if let new, UUID(uuidString: new) == nil { throw .badRequest("Expected a UUID for instance_uuid: \(new)") }
            node.instanceUUID = new
        case ("maintenance", 1):
            guard let on = removing ? false : value as? Bool else { throw .badRequest("/maintenance takes true or false") }
            node.setMaintenance(on, reason: on ? node.maintenanceReason : nil, at: now)
        case ("maintenance_reason", 1):
            node.maintenanceReason = removing ? nil : try optionalString(value, path)
        case ("driver_info", _):
            var info = unmaskedDriverInfo(node.driverInfo)
            try edit(&info, key: parts.count == 2 ? parts[1] : nil, removing: removing, value: value, path: path)
            node.driverInfo = try driverInfo(from: info)
        case ("extra", _):
            var extra = (try? JSONSerialization.jsonObject(with: Data(node.extra.utf8))) as? [String: Any] ?? [:]
            try edit(&extra, key: parts.count == 2 ? parts[1] : nil, removing: removing, value: value, path: path)
            guard let data = try? JSONSerialization.data(withJSONObject: extra, options: [.sortedKeys]) else {
                throw .badRequest("extra must hold JSON values")
            }
            node.extra = String(decoding: data, as: UTF8.self)
        default:
            throw .badRequest("Cannot patch \(path). Only the following can be updated: \(patchable.joined(separator: ", "))")
        }
    }

    /// Replaces the whole object (no key) or one key of it.
    private static func edit(_ object: inout [String: Any], key: String?, removing: Bool, value: Any?,
                             path: String) throws(APIError) {
        guard let key else {
            guard removing || value is [String: Any] else { throw .badRequest("\(path) must be a JSON object") }
            object = removing ? [:] : value as? [String: Any] ?? [:]
            return
        }
        if removing {
            guard object.removeValue(forKey: key) != nil else { throw .badRequest("Cannot remove \(path): it is not set") }
        } else {
            object[key] = value
        }
    }

    private static func optionalString(_ value: Any?, _ path: String) throws(APIError) -> String? {
        if value is NSNull { return nil }
        guard let text = value as? String else { throw .badRequest("\(path) takes a string") }
        return text
    }

    /// driver_info with its real secrets, so a patch of one key keeps the others.
    private static func unmaskedDriverInfo(_ info: DriverInfo) -> [String: Any] {
        var object = NodeFields.maskedDriverInfo(info)
        object["ipmi_password"] = info.ipmiPassword?.revealed
        object["ipmi_hex_kg_key"] = info.ipmiKg?.revealed
        return object
    }

    static func driverInfo(from object: [String: Any]) throws(APIError) -> DriverInfo {
        let known = Set(DriverInfoBody.CodingKeys.allCases.map(\.rawValue))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badRequest("driver_info key \(unknown) is not used by the ipmi driver; it takes "
                + known.sorted().joined(separator: ", "))
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            return try JSONDecoder().decode(DriverInfoBody.self, from: data).driverInfo()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.from(error)
        }
    }
}

/// Ironic's node name rules, reduced: not empty, not a UUID (names and uuids share the URL), URL-safe characters.
enum NodeNames {
    static func validate(_ name: String) throws(APIError) {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        guard !name.isEmpty, name.count <= 255, UUID(uuidString: name) == nil,
              name.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else {
            throw .badRequest("'\(name)' is not a valid node name: use letters, digits, -, ., _ and ~, and not a UUID")
        }
    }
}

import Foundation
import Yams

/// The file `ferrum node create --file` enrols (docs/node-cli.md): YAML or JSON, either a list of nodes or
///
///     driver_info:            # optional: keys every node gets unless it sets them
///       ipmi_username: admin
///       ipmi_password: secret
///     nodes:
///       - name: server-0
///         driver_info: {ipmi_address: 10.0.0.5, ipmi_port: 623}
///         instance_uuid: 4f6c…   # optional; so are uuid and driver (ipmi)
///
/// JSON is read by the same YAML parser, so both get errors with line numbers.
struct NodeFile {
    struct Entry: Sendable {
        var name: String
        /// The `POST /v1/nodes` body.
        var body: JSONValue
    }

    struct Problem: Error, CustomStringConvertible {
        var line: Int?
        var message: String
        var description: String { (line.map { "line \($0): " } ?? "") + message }
    }

    static let nodeKeys = ["name", "uuid", "driver", "driver_info", "instance_uuid"]

    var entries: [Entry] = []

    init(text: String) throws(Problem) {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Problem(message: "not YAML or JSON: \(error)")
        }
        var defaults: [String: JSONValue] = [:]
        let list: Yams.Node
        switch root {
        case .sequence?:
            list = root!
        case .mapping(let mapping)?:
            for (key, value) in mapping where !["nodes", "driver_info"].contains(key.string ?? "") {
                throw Problem(line: value.mark?.line, message: "unknown key '\(key.string ?? "?")'; use nodes and driver_info")
            }
            if let shared = mapping["driver_info"] { defaults = try Self.driverInfo(shared, in: "driver_info") }
            guard let nodes = mapping["nodes"] else { throw Problem(line: root?.mark?.line, message: "no nodes: list") }
            list = nodes
        default:
            throw Problem(line: root?.mark?.line, message: "expected a list of nodes, or a mapping with nodes:")
        }
        guard case .sequence(let items) = list else { throw Problem(line: list.mark?.line, message: "nodes must be a list") }
        var lines: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let entry = try Self.entry(item, number: index + 1, defaults: defaults)
            let line = item.mark?.line ?? 0
            if let first = lines.updateValue(line, forKey: entry.name) {
                throw Problem(line: line, message: "node name '\(entry.name)' is already used on line \(first)")
            }
            entries.append(entry)
        }
        if entries.isEmpty { throw Problem(line: list.mark?.line, message: "the list of nodes is empty") }
    }

    private static func entry(_ item: Yams.Node, number: Int, defaults: [String: JSONValue]) throws(Problem) -> Entry {
        let what = "node \(number)"
        guard case .mapping(let mapping) = item else {
            throw Problem(line: item.mark?.line, message: "\(what): expected a mapping with name and driver_info")
        }
        var body: [String: JSONValue] = [:]
        var info = defaults
        for (keyNode, value) in mapping {
            guard let key = keyNode.string, nodeKeys.contains(key) else {
                throw Problem(line: keyNode.mark?.line, message: "\(what): unknown key '\(keyNode.string ?? "?")'; "
                    + "known keys: " + nodeKeys.joined(separator: ", "))
            }
            if key == "driver_info" {
                info.merge(try driverInfo(value, in: "\(what) driver_info")) { _, own in own }
            } else {
                body[key] = .string(try text(value, in: "\(what) \(key)"))
            }
        }
        guard let name = body["name"]?.string, !name.isEmpty else {
            throw Problem(line: item.mark?.line, message: "\(what): every node needs a name")
        }
        guard info["ipmi_address"] != nil else {
            throw Problem(line: item.mark?.line, message: "\(what) (\(name)): driver_info needs ipmi_address")
        }
        body["driver"] = body["driver"] ?? .string("ipmi")
        body["driver_info"] = .object(info)
        return Entry(name: name, body: .object(body))
    }

    /// driver_info values are sent as text, as the openstack client sends them: YAML typing would turn a password
    /// written 0123 into 83 or a port into a float.
    private static func driverInfo(_ node: Yams.Node, in what: String) throws(Problem) -> [String: JSONValue] {
        guard case .mapping(let mapping) = node else { throw Problem(line: node.mark?.line, message: "\(what): expected a mapping") }
        var info: [String: JSONValue] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string, !key.isEmpty else {
                throw Problem(line: keyNode.mark?.line, message: "\(what): keys must be names")
            }
            info[key] = .string(try text(value, in: "\(what).\(key)"))
        }
        return info
    }

    private static func text(_ node: Yams.Node, in what: String) throws(Problem) -> String {
        guard case .scalar(let scalar) = node, !(scalar.style == .plain && ["", "~", "null"].contains(scalar.string)) else {
            throw Problem(line: node.mark?.line, message: "\(what): expected a value")
        }
        return scalar.string
    }
}

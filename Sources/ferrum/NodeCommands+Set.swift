import ArgumentParser
import Foundation

struct NodeSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a node's name, instance or driver_info (PATCH with a JSON Patch list).")
    @OptionGroup var options: NodeOutputOptions
    @Argument(help: "Node name or UUID.") var node: String
    @Option(help: "New name.") var name: String?
    @Option(help: "Instance UUID to associate.") var instanceUUID: String?
    @Flag(help: "Remove the instance UUID.") var unsetInstanceUUID = false
    @Option(help: "A driver_info key=value (repeatable), e.g. ipmi_port=6230.") var driverInfo: [String] = []
    @Option(help: "Remove a driver_info key (repeatable).") var unsetDriverInfo: [String] = []

    func validate() throws {
        if instanceUUID != nil, unsetInstanceUUID { throw ValidationError("--instance-uuid and --unset-instance-uuid exclude each other") }
        _ = try parsedDriverInfo()
        if patch().isEmpty { throw ValidationError("nothing to change: give --name, --instance-uuid, --driver-info, …") }
    }

    func parsedDriverInfo() throws -> [(String, String)] {
        try driverInfo.map { pair in
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--driver-info takes key=value, not '\(pair)'")
            }
            return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
        }
    }

    /// RFC 6902 operations as Ironic takes them: `add` also replaces, so it suits keys that may not exist yet.
    func patch() -> [JSONValue] {
        func operation(_ op: String, _ path: String, _ value: String? = nil) -> JSONValue {
            var fields: [String: JSONValue] = ["op": .string(op), "path": .string(path)]
            if let value { fields["value"] = .string(value) }
            return .object(fields)
        }
        var operations: [JSONValue] = []
        if let name { operations.append(operation("replace", "/name", name)) }
        if let instanceUUID { operations.append(operation("replace", "/instance_uuid", instanceUUID)) }
        if unsetInstanceUUID { operations.append(operation("remove", "/instance_uuid")) }
        for (key, value) in (try? parsedDriverInfo()) ?? [] { operations.append(operation("add", "/driver_info/\(key)", value)) }
        for key in unsetDriverInfo { operations.append(operation("remove", "/driver_info/\(key)")) }
        return operations
    }

    func run() async throws {
        let client = try options.api.client()
        try await reportingFailures {
            printNode(try await client.json("PATCH", APIClient.nodePath(node), body: .array(patch())), format: options.format)
        }
    }
}

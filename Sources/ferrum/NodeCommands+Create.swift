import ArgumentParser
import Foundation

struct NodeCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Enrol one node (--name, --ipmi-…), or many from a YAML or JSON file (--file).",
        discussion: """
        --file takes a list of nodes (name, driver_info with Ironic's ipmi_* keys, optional instance_uuid and uuid), \
        or a mapping with nodes: and a shared driver_info: (see docs/node-cli.md). Nodes are enrolled \
        \(BulkEnrolment.inFlight) requests at a time; failures are listed at the end and make the exit status 1.
        """)

    @OptionGroup var options: NodeOutputOptions
    @Option(help: "YAML or JSON file of nodes to enrol.") var file: String?
    @Option(help: "Node name.") var name: String?
    @Option(help: "BMC address (driver_info ipmi_address).") var ipmiAddress: String?
    @Option(help: "BMC UDP port (default 623).") var ipmiPort: Int?
    @Option(help: "BMC user.") var ipmiUsername: String?
    @Option(help: "BMC password (or --ipmi-password-file, or FERRUM_IPMI_PASSWORD).") var ipmiPassword: String?
    @Option(help: "File holding the BMC password.") var ipmiPasswordFile: String?
    @Option(help: "Other driver_info key=value (repeatable), e.g. ipmi_priv_level=OPERATOR.") var driverInfo: [String] = []
    @Option(help: "Instance UUID to associate.") var instanceUUID: String?
    @Option(help: "The node's UUID (default: the API picks one).") var uuid: String?
    @Flag(help: "Then manage and provide, so the node is available (and the power sync watches it).") var provide = false

    func validate() throws {
        let single = [name, ipmiAddress, ipmiUsername, ipmiPassword, ipmiPasswordFile, instanceUUID, uuid]
        if file != nil {
            guard single.allSatisfy({ $0 == nil }), ipmiPort == nil, driverInfo.isEmpty else {
                throw ValidationError("--file takes no other node options: put them in the file")
            }
        } else {
            guard ipmiAddress != nil, ipmiUsername != nil else {
                throw ValidationError("give --ipmi-address and --ipmi-username (and a password), or --file")
            }
            if let ipmiPort, !(1...65535).contains(ipmiPort) { throw ValidationError("--ipmi-port must be 1 to 65535") }
        }
    }

    func run() async throws {
        let client = try options.api.client()
        if let file { return try await createMany(client, file: file) }
        let body = try singleBody()
        try await reportingFailures {
            var node = try await client.json("POST", "/v1/nodes", body: body)
            if provide, let id = node["uuid"]?.string {
                do throws(APIFailure) {
                    try await Provisioner(client: client, node: id).provide()
                } catch {
                    throw error.prefixed("node \(name ?? id) was created, but ")
                }
                node = try await client.json("GET", APIClient.nodePath(id))
            }
            printNode(node, format: options.format)
        }
    }

    private func singleBody() throws -> JSONValue {
        let secret = try PasswordSource(literal: ipmiPassword, file: ipmiPasswordFile, environmentVariable: "FERRUM_IPMI_PASSWORD")
            .resolve()
        var info: [String: JSONValue] = [:]
        for pair in driverInfo {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--driver-info takes key=value, not '\(pair)'")
            }
            info[String(pair[..<equals])] = .string(String(pair[pair.index(after: equals)...]))
        }
        info["ipmi_address"] = ipmiAddress.map(JSONValue.string)
        info["ipmi_username"] = ipmiUsername.map(JSONValue.string)
        info["ipmi_password"] = .string(secret)
        if let ipmiPort { info["ipmi_port"] = .int(ipmiPort) }
        var body: [String: JSONValue] = ["driver": "ipmi", "driver_info": .object(info)]
        body["name"] = name.map(JSONValue.string)
        body["instance_uuid"] = instanceUUID.map(JSONValue.string)
        body["uuid"] = uuid.map(JSONValue.string)
        return .object(body)
    }

    private func createMany(_ client: APIClient, file: String) async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let entries: [NodeFile.Entry]
        do {
            entries = try NodeFile(text: String(decoding: data, as: UTF8.self)).entries
        } catch {
            throw ValidationError("\(file): \(error)")
        }
        try await reportingFailures {
            // One cheap call first, so a wrong URL, password or version fails once rather than for every node.
            try await client.send("GET", "/v1/nodes", query: [URLQueryItem(name: "limit", value: "1")])
            let report = await BulkEnrolment(client: client, entries: entries, provide: provide).run()
            report.print(format: options.format)
            if let code = report.exitCode { throw ExitCode(code) }
        }
    }
}

/// `manage` then `provide`, each confirmed by the node's states, so a node ends `available` or the caller hears why not.
struct Provisioner {
    let client: APIClient
    let node: String

    func provide() async throws(APIFailure) {
        for (verb, state) in [("manage", "manageable"), ("provide", "available")] {
            try await client.send("PUT", APIClient.nodePath(node, "/states/provision"), body: .object(["target": .string(verb)]))
            try await waitFor(state, after: verb)
        }
    }

    /// Ironic runs these verbs in the background (verifying, cleaning); Ferrum's are immediate, so usually one read.
    private func waitFor(_ state: String, after verb: String) async throws(APIFailure) {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let states = try await client.json("GET", APIClient.nodePath(node, "/states"))
            let target = states["target_provision_state"] ?? .null
            let current = states["provision_state"]?.string
            if target.isNull {
                if current == state { return }
                throw .actionFailed("\(verb) left the node \(current ?? "in no state"), not \(state)"
                    + (states["last_error"]?.string.map { ": \($0)" } ?? ""))
            }
            guard ContinuousClock.now < deadline else { throw .actionFailed("\(verb) still running after 120 s") }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}

import ArgumentParser
import Foundation

/// `ferrum node …`: the controller's nodes through its Ironic-shaped API, as `openstack baremetal node` does.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Enrol, inspect and power bare-metal nodes through a running `ferrum serve`.",
        discussion: """
        The API is --url, else FERRUM_URL, else http://127.0.0.1:6385; with http_basic give --username and \
        --password (or FERRUM_USERNAME, FERRUM_PASSWORD). Every request asks for API version \(APIClient.microversion).

        Exit status: 0 done · 1 the API refused a request (its message is printed) · 3 the API cannot be reached \
        · 4 a power action (--wait) or --provide did not reach its state · 64 usage error.
        """,
        subcommands: [NodeList.self, NodeShow.self, NodeCreate.self, NodeDelete.self, NodeSet.self, NodePower.self,
                      NodeReboot.self, NodeMaintenance.self])
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// `--format` and the API options, shared by every verb.
struct NodeOutputOptions: ParsableArguments {
    @OptionGroup var api: FerrumAPIOptions
    @Option(name: [.customShort("f"), .long], help: "table or json.") var format: OutputFormat = .table
}

struct NodeList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List nodes (every page).")
    @OptionGroup var options: NodeOutputOptions
    @Flag(inversion: .prefixedNo, help: "Only nodes in (or out of) maintenance.") var maintenance: Bool?
    @Option(help: "Only nodes in this provision state.") var provisionState: String?
    @Option(help: "Only the node with this instance.") var instanceUUID: String?
    @Flag(help: "Every field (detail=true) instead of the list's default fields.") var long = false
    @Option(help: "At most this many nodes.") var limit: Int?

    static let pageSize = 1000

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let client = try options.api.client()
        try await reportingFailures {
            var filters: [URLQueryItem] = []
            if let maintenance { filters.append(URLQueryItem(name: "maintenance", value: "\(maintenance)")) }
            if let provisionState { filters.append(URLQueryItem(name: "provision_state", value: provisionState)) }
            if let instanceUUID { filters.append(URLQueryItem(name: "instance_uuid", value: instanceUUID)) }
            if long { filters.append(URLQueryItem(name: "detail", value: "true")) }
            let nodes = try await fetchAll(client, filters: filters).map(\.redactingSecrets)
            switch options.format {
            case .json: print(JSONValue.array(nodes).prettyJSON)
            case .table: printTable(nodes)
            }
        }
    }

    /// Follows the pages by marker (the last UUID), as Ironic's `next` link does, without trusting its host.
    private func fetchAll(_ client: APIClient, filters: [URLQueryItem]) async throws(APIFailure) -> [JSONValue] {
        var nodes: [JSONValue] = []
        var marker: String?
        while true {
            let size = min(Self.pageSize, (limit ?? .max) - nodes.count)
            guard size > 0 else { break }
            var query = filters + [URLQueryItem(name: "limit", value: "\(size)")]
            if let marker { query.append(URLQueryItem(name: "marker", value: marker)) }
            let page = try await client.json("GET", "/v1/nodes", query: query)
            guard case .array(let items)? = page["nodes"] else {
                throw .refused(status: 200, message: "GET /v1/nodes: the answer has no nodes list")
            }
            nodes += items.prefix(size)
            // A server that ignores limit or marker answers everything at once, or the same page again.
            guard page["next"] != nil, items.count >= size, let last = items.last?["uuid"]?.string, last != marker
            else { break }
            marker = last
        }
        return nodes
    }

    private func printTable(_ nodes: [JSONValue]) {
        var columns = [("UUID", "uuid"), ("Name", "name"), ("Instance UUID", "instance_uuid"),
                       ("Power State", "power_state"), ("Provisioning State", "provision_state"),
                       ("Maintenance", "maintenance")]
        if long {
            columns += [("Target Power State", "target_power_state"), ("Fault", "fault"), ("Last Error", "last_error")]
        }
        let rows = nodes.map { node in columns.map { (node[$0.1] ?? .null).cellText } }
        printColumns([columns.map(\.0)] + rows)
    }
}

struct NodeShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one node's fields (secrets as ******).")
    @OptionGroup var options: NodeOutputOptions
    @Argument(help: "Node name or UUID.") var node: String

    func run() async throws {
        let client = try options.api.client()
        try await reportingFailures {
            printNode(try await client.json("GET", APIClient.nodePath(node)), format: options.format)
        }
    }
}

struct NodeDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete nodes; goes on past a failure.")
    @OptionGroup var api: FerrumAPIOptions
    @Argument(help: "Node names or UUIDs.") var nodes: [String]

    func validate() throws {
        if nodes.isEmpty { throw ValidationError("name at least one node") }
    }

    func run() async throws {
        let client = try api.client()
        var worst: APIFailure?
        for node in nodes {
            do throws(APIFailure) {
                try await client.send("DELETE", APIClient.nodePath(node))
                print("Deleted node \(node)")
            } catch {
                FileHandle.standardError.write(Data("ferrum: \(node): \(error.message)\n".utf8))
                if worst.map({ $0.exitCode < error.exitCode }) ?? true { worst = error }
            }
        }
        if let worst { throw ExitCode(worst.exitCode) }
    }
}

/// One node: field/value rows sorted by field, or the object as JSON; secrets masked either way.
func printNode(_ node: JSONValue, format: OutputFormat) {
    let node = node.redactingSecrets
    switch format {
    case .json:
        print(node.prettyJSON)
    case .table:
        guard case .object(let fields) = node else { return print(node.cellText) }
        printColumns([["Field", "Value"]] + fields.keys.sorted().map { [$0, fields[$0]!.cellText] })
    }
}

/// Left-aligned columns two spaces apart, like `ferrum bmc list`.
func printColumns(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        let cells = zip(row, widths).enumerated().map { index, cell in
            index == row.count - 1 ? cell.0 : cell.0.padding(toLength: cell.1, withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
    }
}

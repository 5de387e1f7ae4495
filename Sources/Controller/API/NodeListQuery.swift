import ControllerCore
import Foundation
import Hummingbird

/// `GET /v1/nodes` query parameters (ironic.md A4), checked against the request's microversion.
struct NodeListQuery {
    static let maxLimit = 1000
    static let sortKeys = ["id", "uuid", "name", "created_at", "updated_at", "power_state", "provision_state"]

    var fields: [String]
    var limit = maxLimit
    var marker: String?
    var sortKey = "id"
    var descending = false
    var maintenance: Bool?
    var associated: Bool?
    var instanceUUID: String?
    var provisionState: String?
    var driver: String?
    var fault: String?
    /// Kept for `next`: everything but the marker.
    private var carried: [(String, String)] = []

    init(_ parameters: Parameters, version: APIVersion, detailPath: Bool) throws(APIError) {
        func value(_ name: String, since minor: Int = 1) throws(APIError) -> String? {
            guard let raw = parameters[Substring(name)] else { return nil }
            guard version.minor >= minor else {
                throw APIError(status: .notAcceptable, message: "The \(name) parameter needs API version 1.\(minor) or later")
            }
            return String(raw)
        }
        for key in parameters.map({ String($0.key) }) where !Self.known.contains(key) {
            throw .badRequest("Unknown query parameter \(key)")
        }
        let detail = try value("detail", since: 43).map { text throws(APIError) in try Self.bool(text, "detail") } ?? false
        if detailPath, detail { throw .badRequest("detail cannot be used with /v1/nodes/detail") }
        if let list = try value("fields", since: 8) {
            if detail || detailPath { throw .badRequest("Can not specify ?detail=True and fields in the same request.") }
            fields = try NodeFields.parse(list, at: version)
        } else {
            fields = detail || detailPath ? NodeFields.all(at: version) : NodeFields.listDefault.filter {
                (NodeFields.introducedIn[$0] ?? 1) <= version.minor
            }
        }
        if let text = try value("limit") {
            guard let number = Int(text), number >= 0 else { throw .badRequest("Limit must be positive: \(text)") }
            limit = number == 0 ? Self.maxLimit : min(number, Self.maxLimit)
        }
        marker = try value("marker")
        if let key = try value("sort_key") {
            guard Self.sortKeys.contains(key) else {
                throw .badRequest("The sort_key value \"\(key)\" is an invalid field for sorting")
            }
            sortKey = key
        }
        if let direction = try value("sort_dir") {
            guard direction == "asc" || direction == "desc" else {
                throw .badRequest("Invalid sort direction: \(direction). Acceptable values are 'asc' or 'desc'")
            }
            descending = direction == "desc"
        }
        maintenance = try value("maintenance").map { text throws(APIError) in try Self.bool(text, "maintenance") }
        associated = try value("associated").map { text throws(APIError) in try Self.bool(text, "associated") }
        instanceUUID = try value("instance_uuid")
        provisionState = try value("provision_state", since: 9)
        driver = try value("driver", since: 16)
        fault = try value("fault", since: 42)
        carried = parameters.map { (String($0.key), String($0.value)) }.filter { $0.0 != "marker" && $0.0 != "limit" }
    }

    static let known: Set<String> = [
        "fields", "detail", "limit", "marker", "sort_key", "sort_dir", "maintenance", "associated", "instance_uuid",
        "provision_state", "driver", "fault",
    ]

    static func bool(_ text: String, _ name: String) throws(APIError) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes", "on", "t", "y": return true
        case "false", "0", "no", "off", "f", "n": return false
        default: throw .badRequest("Unrecognized value '\(text)' for \(name), acceptable values are True or False")
        }
    }

    func matches(_ node: Node) -> Bool {
        if let maintenance, node.maintenance != maintenance { return false }
        if let associated, (node.instanceUUID != nil) != associated { return false }
        if let instanceUUID, node.instanceUUID != instanceUUID { return false }
        if let provisionState, node.provisionState.rawValue != provisionState { return false }
        if let driver, node.driver != driver { return false }
        if let fault, node.fault?.rawValue != fault { return false }
        return true
    }

    /// One page, and the marker for the next when the page is full.
    func page(of nodes: [Node]) throws(APIError) -> (nodes: [Node], nextMarker: String?) {
        var selected = nodes.filter(matches)
        if sortKey != "id" {
            let key = sortKey
            selected.sort { Self.sortValue($0, key) < Self.sortValue($1, key) }
        }
        if descending { selected.reverse() }
        if let marker {
            guard let index = selected.firstIndex(where: { $0.id == marker }) else {
                throw .badRequest("Marker \(marker) could not be found.")
            }
            selected.removeFirst(index + 1)
        }
        let page = Array(selected.prefix(limit))
        // Ironic offers `next` whenever the page is full.
        return (page, page.count == limit ? page.last?.id : nil)
    }

    private static func sortValue(_ node: Node, _ key: String) -> String {
        switch key {
        case "uuid": node.id
        case "name": node.name ?? ""
        case "created_at": String(format: "%020lld", node.createdAt.sinceEpoch.components.seconds) + node.id
        case "updated_at": String(format: "%020lld", node.updatedAt?.sinceEpoch.components.seconds ?? 0) + node.id
        case "power_state": node.powerState?.rawValue ?? ""
        default: node.provisionState.rawValue
        }
    }

    func nextQuery(marker: String) -> String {
        var items = URLComponents()
        items.queryItems = carried.map { URLQueryItem(name: $0.0, value: $0.1) }
            + [URLQueryItem(name: "limit", value: String(limit)), URLQueryItem(name: "marker", value: marker)]
        return items.percentEncodedQuery ?? ""
    }
}

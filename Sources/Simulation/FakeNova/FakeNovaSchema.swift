import Foundation

/// One schema-valid external event, with exactly the keys the client sent (so they can be echoed back).
struct ExternalEvent {
    var name: String
    var serverUUID: String
    var tag: String?
    var status: String?
}

/// The request checks Nova runs before any per-event work (nova.md §1.2, §1.3), as pure functions.
enum FakeNovaSchema {
    static let maxBodyBytes = 114_688
    static let statuses = ["failed", "completed", "in-progress"]
    static let tagRequired: Set<String> = ["volume-extended", "power-update", "accelerator-request-bound"]

    /// The `name` enum grows with the microversion (2.51, 2.76, 2.82, 2.93).
    static func names(minor: Int) -> [String] {
        var names = ["network-changed", "network-vif-plugged", "network-vif-unplugged", "network-vif-deleted"]
        if minor >= 51 { names.append("volume-extended") }
        if minor >= 76 { names.append("power-update") }
        if minor >= 82 { names.append("accelerator-request-bound") }
        if minor >= 93 { names.append("volume-reimaged") }
        return names
    }

    /// The minor version of a `2.N` header value; no header means 2.1. Errors are Nova's 400 and 406.
    static func microversion(_ header: String?, maxMinor: Int) -> Result<Int, FakeNovaResponseError> {
        guard var text = header?.trimmingCharacters(in: .whitespaces) else { return .success(1) }
        if text.lowercased().hasPrefix("compute ") { text = String(text.dropFirst("compute ".count)) }
        if text == "latest" { return .success(maxMinor) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else {
            return .failure(.init(400, "API Version String \(text) is of invalid format. Must be of format MajorNum.MinorNum."))
        }
        guard major == 2, (1...maxMinor).contains(minor) else {
            return .failure(.init(406, "Version \(text) is not supported by the API. Minimum is 2.1 and maximum is 2.\(maxMinor)."))
        }
        return .success(minor)
    }

    /// The JSON Schema of `create_v2xx`, with jsonschema's message wording wrapped the way Nova wraps it.
    static func validate(_ body: Any, minor: Int) -> Result<[ExternalEvent], FakeNovaResponseError> {
        guard let object = body as? [String: Any] else { return invalid(nil, body, "\(pythonRepr(body)) is not of type 'object'") }
        guard let events = object["events"] else { return .failure(.init(400, "'events' is a required property")) }
        if let extra = object.keys.sorted().first(where: { $0 != "events" }) {
            return .failure(.init(400, "Additional properties are not allowed ('\(extra)' was unexpected)"))
        }
        guard let list = events as? [Any] else { return invalid("events", events, "\(pythonRepr(events)) is not of type 'array'") }
        guard !list.isEmpty else { return invalid("events", list, "[] should be non-empty") }
        var parsed: [ExternalEvent] = []
        for (index, item) in list.enumerated() {
            switch event(item, index: index, names: names(minor: minor)) {
            case .success(let event): parsed.append(event)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(parsed)
    }

    private static func event(_ item: Any, index: Int, names: [String]) -> Result<ExternalEvent, FakeNovaResponseError> {
        let path = "\(index)"
        guard let event = item as? [String: Any] else { return invalid(path, item, "\(pythonRepr(item)) is not of type 'object'") }
        for key in ["name", "server_uuid"] where event[key] == nil {
            return invalid(path, event, "'\(key)' is a required property")
        }
        if let extra = event.keys.sorted().first(where: { !["name", "server_uuid", "status", "tag"].contains($0) }) {
            return invalid(path, event, "Additional properties are not allowed ('\(extra)' was unexpected)")
        }
        guard let name = event["name"] as? String else { return notString("name", event["name"]!) }
        guard names.contains(name) else {
            return invalid("name", name, "'\(name)' is not one of [\(names.map { "'\($0)'" }.joined(separator: ", "))]")
        }
        guard let uuid = event["server_uuid"] as? String else { return notString("server_uuid", event["server_uuid"]!) }
        guard isUUIDLike(uuid) else { return invalid("server_uuid", uuid, "'\(uuid)' is not a 'uuid'") }
        var status: String?
        if let raw = event["status"] {
            guard let value = raw as? String else { return notString("status", raw) }
            guard statuses.contains(value) else {
                return invalid("status", value, "'\(value)' is not one of ['failed', 'completed', 'in-progress']")
            }
            status = value
        }
        var tag: String?
        if let raw = event["tag"] {
            guard let value = raw as? String else { return notString("tag", raw) }
            guard value.count <= 255 else { return invalid("tag", value, "'\(value)' is too long") }
            tag = value
        }
        return .success(ExternalEvent(name: name, serverUUID: uuid, tag: tag, status: status))
    }

    /// oslo's `is_uuid_like`: case, dashes, braces and `urn:uuid:` do not matter to the schema.
    static func isUUIDLike(_ text: String) -> Bool {
        var hex = text.lowercased()
        for noise in ["urn:", "uuid:", "{", "}", "-"] { hex = hex.replacingOccurrences(of: noise, with: "") }
        return hex.count == 32 && hex.allSatisfy(\.isHexDigit)
    }

    private static func notString<T>(_ field: String, _ value: Any) -> Result<T, FakeNovaResponseError> {
        invalid(field, value, "\(pythonRepr(value)) is not of type 'string'")
    }

    private static func invalid<T>(_ path: String?, _ value: Any, _ message: String) -> Result<T, FakeNovaResponseError> {
        guard let path else { return .failure(.init(400, message)) }
        return .failure(.init(400, "Invalid input for field/attribute \(path). Value: \(pythonStr(value)). \(message)"))
    }
}

/// A whole-request rejection: HTTP status and Nova's fault message.
struct FakeNovaResponseError: Error {
    var status: Int
    var message: String
    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

import Foundation

/// `NSNull` under a name that reads as JSON null where dictionaries are built.
var NSNullValue: Any { NSNull() }

/// A complete answer from the fake, before the HTTP shell turns it into a response.
public struct FakeNovaResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    init(status: Int, headers: [String: String] = [:], json: Any) {
        self.status = status
        self.headers = headers
        self.body = encodeJSON(json)
    }
}

func encodeJSON(_ value: Any) -> [UInt8] {
    // Sorted keys keep answers byte-stable across runs.
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
        return Array("{}".utf8)
    }
    return [UInt8](data)
}

func decodeJSON(_ bytes: [UInt8]) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
}

/// Nova's fault body: `{"<faultName>": {"code": N, "message": "..."}}`.
func novaFault(_ status: Int, _ message: String) -> FakeNovaResponse {
    let name: String
    switch status {
    case 400: name = "badRequest"
    case 401: name = "unauthorized"
    case 403: name = "forbidden"
    case 404: name = "itemNotFound"
    case 409: name = "conflictingRequest"
    case 413, 429: name = "overLimit"
    case 415: name = "badMediaType"
    case 503: name = "serviceUnavailable"
    default: name = "computeFault"
    }
    return FakeNovaResponse(status: status, json: [name: ["code": status, "message": message]])
}

/// keystonemiddleware's (and Keystone's) 401, which is not in Nova's fault format.
func keystoneUnauthorized(_ message: String = "The request you have made requires authentication.") -> FakeNovaResponse {
    FakeNovaResponse(status: 401, headers: ["WWW-Authenticate": "Keystone uri=\"fake\""],
                     json: ["error": ["code": 401, "title": "Unauthorized", "message": message]])
}

/// Python's `repr`, which jsonschema messages use to show values ("'node-1' is not a 'uuid'").
func pythonRepr(_ value: Any) -> String {
    switch value {
    case let string as String: return "'\(string)'"
    case let dict as [String: Any]:
        return "{" + dict.keys.sorted().map { "'\($0)': \(pythonRepr(dict[$0]!))" }.joined(separator: ", ") + "}"
    case let array as [Any]: return "[" + array.map(pythonRepr).joined(separator: ", ") + "]"
    case is NSNull: return "None"
    default: return "\(value)"
    }
}

/// `Value: %s` in Nova's message is `str()`: strings bare, everything else as repr.
func pythonStr(_ value: Any) -> String {
    (value as? String) ?? pythonRepr(value)
}

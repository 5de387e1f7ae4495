import Foundation
import ControllerCore

/// The notifier's view of Nova: one `POST /os-server-external-events`, `GET /servers/{id}` for the power-state hold,
/// and a way to get a fresh token.
public protocol NovaClient: Sendable {
    /// Sends `body` as is; never throws: every outcome is a `NovaRequestResult` for the machine.
    func send(body: [UInt8], timeout: Duration) async -> NovaRequestResult
    /// Drops any cached token and gets a new one; throws `NovaAuthError` when that fails.
    func authenticate() async throws
    /// Nova's `OS-EXT-STS:*` view of one instance; never throws.
    func server(_ instanceUUID: String, timeout: Duration) async -> NovaServerLookup
}

/// What `GET /v2.1/servers/{id}` told us.
public enum NovaServerLookup: Sendable, Hashable {
    case found(NovaInstanceView)
    /// 404: Nova no longer has the instance.
    case notFound
    case failed(NovaRequestFailure)

    /// `{"server": {"OS-EXT-STS:vm_state": …, "OS-EXT-STS:task_state": …, "OS-EXT-STS:power_state": …}}`.
    static func parse(status: Int, body: Data) -> NovaServerLookup {
        switch status {
        case 200:
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                  let server = object["server"] as? [String: Any],
                  let vmState = server["OS-EXT-STS:vm_state"] as? String,
                  let powerState = (server["OS-EXT-STS:power_state"] as? NSNumber)?.intValue else {
                return .failed(.invalidResponse("no OS-EXT-STS:vm_state and power_state in the server (admin policy?)"))
            }
            return .found(NovaInstanceView(vmState: vmState, powerState: powerState,
                                           taskState: server["OS-EXT-STS:task_state"] as? String))
        case 404:
            return .notFound
        default:
            return .failed(.status(status, body: NovaResponse.truncated(Array(body))))
        }
    }
}

/// How the notifier finds Nova and proves who it is.
public enum NovaAuth: Sendable, Hashable {
    /// `auth_type = none`: a fixed compute endpoint and no token (a test Nova, or one behind a trusted proxy).
    case noauth(endpoint: URL)
    case keystone(KeystoneSettings)
}

public struct KeystoneSettings: Sendable, Hashable {
    public enum Credential: Sendable, Hashable {
        case password(username: String, password: String, userDomain: String, project: String, projectDomain: String)
        case applicationCredential(id: String, secret: String)
    }

    public var authURL: URL
    public var credential: Credential
    public var region: String?
    /// Catalog interfaces in preference order (Ironic's `[nova] valid_interfaces`).
    public var interfaces: [String]
    /// Skips the catalog: the compute endpoint to use.
    public var endpointOverride: URL?

    public init(authURL: URL, credential: Credential, region: String? = nil, interfaces: [String] = ["internal", "public"],
                endpointOverride: URL? = nil) {
        self.authURL = authURL
        self.credential = credential
        self.region = region
        self.interfaces = interfaces
        self.endpointOverride = endpointOverride
    }
}

public struct NovaAuthError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Turns Nova's answer into the machine's terms (docs/nova-notifier.md, "What the shell does").
enum NovaResponse {
    /// Long enough for Nova's fault messages, short enough for a log line and a drop reason.
    static let maxBodyCharacters = 512

    static func translate(status: Int, body: [UInt8], requestBody: [UInt8]) -> NovaRequestResult {
        switch status {
        case 200, 207:
            guard let codes = perEventCodes(body) else { return .failed(.invalidResponse("no events in the \(status) body")) }
            return .perEvent(codes)
        case 404 where String(decoding: body, as: UTF8.self).contains("No instances found for any event"):
            // Train (Nova 20) answers this way when every event failed, without per-event detail.
            return .perEvent(Array(repeating: 404, count: eventCount(requestBody)))
        default:
            return .failed(.status(status, body: truncated(body)))
        }
    }

    static func truncated(_ body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
        return text.count <= maxBodyCharacters ? text : String(text.prefix(maxBodyCharacters)) + "…"
    }

    private static func eventCount(_ requestBody: [UInt8]) -> Int {
        let object = try? JSONSerialization.jsonObject(with: Data(requestBody)) as? [String: Any]
        return (object?["events"] as? [Any])?.count ?? 0
    }

    private static func perEventCodes(_ body: [UInt8]) -> [Int]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let events = object["events"] as? [[String: Any]] else { return nil }
        let codes = events.compactMap { ($0["code"] as? NSNumber)?.intValue }
        return codes.count == events.count ? codes : nil
    }
}

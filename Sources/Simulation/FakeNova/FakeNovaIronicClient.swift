import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// nova-compute's Ironic calls over HTTP for `FakeNovaServer`: the node list, one node by instance, and power PUTs.
/// Optional HTTP basic credentials; challenges are declined (Foundation on Linux hangs on a 401 otherwise).
public struct FakeNovaIronicClient: Sendable {
    public struct Settings: Sendable {
        public var baseURL: URL
        public var user: String?
        public var password: String?
        public init(baseURL: URL, user: String? = nil, password: String? = nil) {
            self.baseURL = baseURL
            self.user = user
            self.password = password
        }
    }

    let settings: Settings
    private let session: URLSession

    public init(_ settings: Settings) {
        self.settings = settings
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        session = URLSession(configuration: configuration, delegate: DeclineIronicChallenges(), delegateQueue: nil)
    }

    typealias NodeView = NovaCompute.IronicNodeView
    typealias CallError = NovaCompute.IronicCallError

    /// `GET /v1/nodes/detail`, following `next` links.
    func listNodes() async -> Result<[NodeView], CallError> {
        var nodes: [NodeView] = []
        var next: URL? = url("v1/nodes/detail")
        while let page = next {
            switch await send("GET", page) {
            case .failure(let error): return .failure(error)
            case .success(let json):
                nodes += Self.nodes(json)
                next = (json["next"] as? String).flatMap(URL.init(string:))
            }
        }
        return .success(nodes)
    }

    /// `GET /v1/nodes/detail?instance_uuid=<I>`: the node, or nil when none has the instance.
    func node(instance: String) async -> Result<NodeView?, CallError> {
        var components = URLComponents(url: url("v1/nodes/detail"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "instance_uuid", value: instance)]
        return await send("GET", components.url!).map { Self.nodes($0).first }
    }

    /// `PUT /v1/nodes/<n>/states/power`; 202 is success.
    func setPower(node: String, target: String, timeout: Int?) async -> Result<Void, CallError> {
        var body: [String: Any] = ["target": target]
        if let timeout { body["timeout"] = timeout }
        return await send("PUT", url("v1/nodes/\(node)/states/power"), body: body).map { _ in () }
    }

    private func url(_ path: String) -> URL { settings.baseURL.appendingPathComponent(path) }

    private static func nodes(_ json: [String: Any]) -> [NodeView] {
        (json["nodes"] as? [[String: Any]] ?? []).compactMap { node in
            guard let uuid = node["uuid"] as? String else { return nil }
            return NodeView(uuid: uuid, instanceUUID: node["instance_uuid"] as? String,
                            powerState: node["power_state"] as? String, targetPowerState: node["target_power_state"] as? String)
        }
    }

    private func send(_ method: String, _ url: URL, body: [String: Any]? = nil) async -> Result<[String: Any], CallError> {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("1.95", forHTTPHeaderField: "X-OpenStack-Ironic-API-Version")
        request.setValue("nova-compute (ferrum nova-sim)", forHTTPHeaderField: "User-Agent")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let user = settings.user {
            let credentials = Data("\(user):\(settings.password ?? "")".utf8).base64EncodedString()
            request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")
        }
        if let body {
            request.httpBody = try? JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        do {
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            guard (200..<300).contains(status) else {
                return .failure(CallError(status: status, message: Self.ironicMessage(json) ?? "HTTP \(status)"))
            }
            return .success(json)
        } catch let error as URLError where error.code == .cancelled {
            return .failure(CallError(status: 401, message: "Ironic refused the credentials (HTTP 401)"))
        } catch {
            return .failure(CallError(status: nil, message: "Ironic at \(settings.baseURL.absoluteString): \(error.localizedDescription)"))
        }
    }

    /// Ironic's error body: `{"error_message": "{\"faultstring\": ...}"}` (a JSON string inside JSON).
    private static func ironicMessage(_ json: [String: Any]) -> String? {
        guard let inner = json["error_message"] as? String else { return nil }
        let decoded = (try? JSONSerialization.jsonObject(with: Data(inner.utf8))) as? [String: Any]
        return decoded?["faultstring"] as? String ?? inner
    }
}

private final class DeclineIronicChallenges: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}

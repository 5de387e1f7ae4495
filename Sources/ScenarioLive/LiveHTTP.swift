import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The few HTTP calls a live run makes, to loopback servers only. No credentials are sent (the API runs noauth),
/// so Foundation's hang on a 401 with a challenge cannot happen; a failed call is status 0.
enum LiveHTTP {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        return URLSession(configuration: configuration)
    }()

    static func send(_ method: String, _ url: String, json: [String: any Sendable]? = nil) async -> Int {
        guard let target = URL(string: url), target.host == "127.0.0.1" else { return 0 }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.setValue("1.95", forHTTPHeaderField: "X-OpenStack-Ironic-API-Version")
        if let json, let body = try? JSONSerialization.data(withJSONObject: json) {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        guard let (_, response) = try? await session.data(for: request) else { return 0 }
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// `PUT /v1/nodes/{name}/states/power` for every node at once; statuses in the order of `nodes`.
    static func powerRequests(base: String, nodes: [String], target: String) async -> [Int] {
        await withTaskGroup(of: (Int, Int).self) { group in
            for (index, name) in nodes.enumerated() {
                group.addTask { (index, await send("PUT", "\(base)/v1/nodes/\(name)/states/power", json: ["target": target])) }
            }
            var statuses = Array(repeating: 0, count: nodes.count)
            for await (index, status) in group { statuses[index] = status }
            return statuses
        }
    }
}

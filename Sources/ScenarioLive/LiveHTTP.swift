import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The few HTTP calls a live run makes, to loopback servers only. The controller's API runs noauth; the fake Nova's
/// servers API gets a fresh Keystone token (LiveNovaUser), so Foundation's hang on a 401 with a challenge does not
/// arise in practice. A failed call is status 0.
enum LiveHTTP {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        return URLSession(configuration: configuration)
    }()

    static func send(_ method: String, _ url: String, json: [String: any Sendable]? = nil) async -> Int {
        let body = json.flatMap { try? JSONSerialization.data(withJSONObject: $0) }
        return await exchange(method, url, body: body).status
    }

    /// One request; status 0 when it failed. The Ironic microversion header is harmless on the fake Nova.
    static func exchange(_ method: String, _ url: String, body: Data?, headers: [String: String] = [:]) async
        -> (status: Int, body: Data, response: HTTPURLResponse?)
    {
        guard let target = URL(string: url), target.host == "127.0.0.1" else { return (0, Data(), nil) }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.setValue("1.95", forHTTPHeaderField: "X-OpenStack-Ironic-API-Version")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        guard let (data, response) = try? await session.data(for: request), let http = response as? HTTPURLResponse else {
            return (0, Data(), nil)
        }
        return (http.statusCode, data, http)
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

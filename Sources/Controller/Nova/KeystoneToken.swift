import Foundation

/// A Keystone token and the compute endpoint its catalog names (nova.md §5).
struct KeystoneToken: Sendable {
    var value: String
    var expiresAt: Date?
    var computeEndpoint: URL

    /// keystoneauth's MIN_TOKEN_LIFE_SECONDS: a token this close to expiry is replaced before use.
    static let minimumLife: TimeInterval = 120

    func isFresh(at now: Date) -> Bool {
        guard let expiresAt else { return true }
        return expiresAt.timeIntervalSince(now) >= Self.minimumLife
    }
}

enum KeystoneRequest {
    /// `{auth_url}/v3/auth/tokens`, or `/auth/tokens` when the URL already ends in v3, as keystoneauth builds it.
    static func tokensURL(_ authURL: URL) -> URL {
        let trimmed = authURL.absoluteString.hasSuffix("/") ? String(authURL.absoluteString.dropLast()) : authURL.absoluteString
        let path = trimmed.hasSuffix("/v3") ? "/auth/tokens" : "/v3/auth/tokens"
        return URL(string: trimmed + path) ?? authURL
    }

    static func body(_ credential: KeystoneSettings.Credential) -> [UInt8] {
        let auth: [String: Any]
        switch credential {
        case .password(let username, let password, let userDomain, let project, let projectDomain):
            auth = [
                "identity": ["methods": ["password"],
                             "password": ["user": ["name": username, "domain": ["name": userDomain], "password": password]]],
                "scope": ["project": ["name": project, "domain": ["name": projectDomain]]],
            ]
        case .applicationCredential(let id, let secret):
            // No scope: Keystone refuses one for application credentials.
            auth = ["identity": ["methods": ["application_credential"],
                                 "application_credential": ["id": id, "secret": secret]]]
        }
        return Array((try? JSONSerialization.data(withJSONObject: ["auth": auth])) ?? Data())
    }

    /// Reads `expires_at` and picks the compute endpoint: first interface in preference order that matches.
    static func parse(token: String, body: Data, settings: KeystoneSettings) throws(NovaAuthError) -> KeystoneToken {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let tokenObject = object["token"] as? [String: Any] else { throw NovaAuthError("Keystone's token body is unreadable") }
        let expires = (tokenObject["expires_at"] as? String).flatMap(parseDate)
        if let endpoint = settings.endpointOverride { return KeystoneToken(value: token, expiresAt: expires, computeEndpoint: endpoint) }
        let catalog = tokenObject["catalog"] as? [[String: Any]] ?? []
        let endpoints = catalog.filter { $0["type"] as? String == "compute" }
            .flatMap { $0["endpoints"] as? [[String: Any]] ?? [] }
            .filter { endpoint in
                guard let region = settings.region else { return true }
                return endpoint["region_id"] as? String == region || endpoint["region"] as? String == region
            }
        for interface in settings.interfaces {
            if let match = endpoints.first(where: { $0["interface"] as? String == interface }),
               let text = match["url"] as? String, !text.isEmpty, let url = URL(string: text) {
                return KeystoneToken(value: token, expiresAt: expires, computeEndpoint: url)
            }
        }
        throw NovaAuthError("no compute endpoint in Keystone's catalog for interfaces \(settings.interfaces.joined(separator: ","))"
            + (settings.region.map { " in region \($0)" } ?? ""))
    }

    private static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        // Keystone writes microseconds, which some formatters refuse: drop the fraction rather than the expiry.
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            return formatter.date(from: String(text[..<dot] + text[zone...]))
        }
        return formatter.date(from: text)
    }
}

import Foundation

/// Tokens issued by the fake's Keystone. Ids are sequential so runs are reproducible.
struct FakeKeystone: Sendable {
    var tokens: [String: Date] = [:]
    var issued = 0
    var ttl: TimeInterval = 3600
    /// When set, password and application-credential secrets must equal it; otherwise any non-empty one passes.
    var secret: String?

    mutating func issue(now: Date) -> (id: String, expires: Date) {
        issued += 1
        let id = "fake-token-\(issued)"
        tokens[id] = now.addingTimeInterval(ttl)
        return (id, now.addingTimeInterval(ttl))
    }

    func isLive(_ token: String?, now: Date) -> Bool {
        guard let token, let expires = tokens[token] else { return false }
        return now < expires
    }
}

extension FakeNova {
    /// Seconds a new token lives (Keystone's default is 3600).
    public var tokenTTL: TimeInterval {
        get { keystone.ttl }
        set { keystone.ttl = newValue }
    }

    /// The one password/secret Keystone accepts; nil accepts any non-empty one.
    public var keystoneSecret: String? {
        get { keystone.secret }
        set { keystone.secret = newValue }
    }

    /// Drops every token, as a revocation would; clients must re-authenticate.
    public mutating func revokeTokens() { keystone.tokens = [:] }

    public func isLive(token: String?, now: Date) -> Bool { keystone.isLive(token, now: now) }

    /// `POST /v3/auth/tokens` with the password or application_credential method (nova.md §5.1–5.2).
    public mutating func authenticate(body: [UInt8], now: Date) -> FakeNovaResponse {
        guard let json = decodeJSON(body) as? [String: Any], let auth = json["auth"] as? [String: Any],
              let identity = auth["identity"] as? [String: Any], let methods = identity["methods"] as? [String],
              let method = methods.first, methods.count == 1
        else { return FakeNovaResponse(status: 400, json: ["error": ["code": 400, "title": "Bad Request",
                                                                     "message": "Expecting to find auth in request body."]]) }
        let secret: String?
        switch method {
        case "password":
            let user = (identity["password"] as? [String: Any])?["user"] as? [String: Any]
            let named = user?["id"] is String || (user?["name"] is String && user?["domain"] is [String: Any])
            secret = named ? user?["password"] as? String : nil
        case "application_credential":
            if auth["scope"] != nil { return keystoneUnauthorized("Application credentials cannot request a scope.") }
            let credential = identity["application_credential"] as? [String: Any]
            let named = credential?["id"] is String || (credential?["name"] is String && credential?["user"] is [String: Any])
            secret = named ? credential?["secret"] as? String : nil
        default:
            secret = nil
        }
        guard let secret, !secret.isEmpty, keystone.secret == nil || keystone.secret == secret else {
            return keystoneUnauthorized()
        }
        let (id, expires) = keystone.issue(now: now)
        return FakeNovaResponse(status: 201, headers: ["X-Subject-Token": id],
                                json: ["token": tokenBody(method: method, issued: now, expires: expires)])
    }

    private func tokenBody(method: String, issued: Date, expires: Date) -> [String: Any] {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func entry(_ id: String, _ interface: String, _ url: String) -> [String: Any] {
            ["id": id, "interface": interface, "region_id": "RegionOne", "region": "RegionOne", "url": url]
        }
        let domain = ["id": "default", "name": "Default"]
        return [
            "methods": [method], "audit_ids": ["fake"], "is_domain": false,
            "issued_at": format.string(from: issued), "expires_at": format.string(from: expires),
            "user": ["domain": domain, "id": "u1", "name": "ironic", "password_expires_at": NSNullValue],
            "project": ["domain": domain, "id": "p1", "name": "service"],
            "roles": [["id": "r1", "name": "service"], ["id": "r2", "name": "admin"]],
            "catalog": [
                ["type": "compute", "name": "nova", "id": "s1", "endpoints": [
                    entry("e1", "public", endpoint + "/v2.1"), entry("e2", "internal", endpoint + "/v2.1")]],
                ["type": "identity", "name": "keystone", "id": "s2", "endpoints": [
                    entry("e3", "public", endpoint + "/v3/")]],
            ],
        ]
    }
}

import Foundation

/// A Nova user of the live run: a token from the fake's Keystone (password auth, as `openstack server stop` gets
/// one), then `POST /v2.1/servers/{id}/action` with `os-stop` or `os-start`. The password is the fake's demo one
/// (any non-empty secret passes) and is never logged.
struct LiveNovaUser {
    let base: String
    var token: String?

    init(base: String) { self.base = base }

    /// Nova's answer: 202, or the status with the fault's message (0 when the fake could not be reached).
    mutating func serverAction(_ action: String, instance: String) async -> (status: Int, message: String) {
        guard let token = await currentToken() else { return (0, "no Keystone token") }
        let body = Data("{\"\(action)\": null}".utf8)
        let answer = await LiveHTTP.exchange("POST", "\(base)/v2.1/servers/\(instance)/action", body: body,
                                             headers: ["X-Auth-Token": token])
        if answer.status == 401 { self.token = nil }  // expired or revoked: the next call authenticates again
        return (answer.status, Self.faultMessage(answer.body))
    }

    private mutating func currentToken() async -> String? {
        if let token { return token }
        let auth: [String: Any] = ["auth": ["identity": ["methods": ["password"], "password": ["user": [
            "name": "demo", "domain": ["name": "Default"], "password": "demo"]]]]]
        guard let body = try? JSONSerialization.data(withJSONObject: auth) else { return nil }
        let answer = await LiveHTTP.exchange("POST", "\(base)/v3/auth/tokens", body: body)
        guard answer.status == 201 else { return nil }
        token = answer.response?.value(forHTTPHeaderField: "X-Subject-Token")
        return token
    }

    /// `{"conflictingRequest": {"code": 409, "message": "..."}}` → the message.
    static func faultMessage(_ body: Data) -> String {
        guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let fault = json.values.first as? [String: Any], let message = fault["message"] as? String else { return "" }
        return message
    }
}

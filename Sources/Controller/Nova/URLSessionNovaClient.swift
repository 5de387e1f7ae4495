import ControllerCore
import Foundation

/// `NovaClient` over HTTP, with Keystone v3 tokens (password or application credential) or none. URLSession and
/// the system trust store by default; with a `cafile`, curl trusting that bundle (`CurlNovaTransport` says why).
/// Tokens are reused until two minutes before they expire, as keystoneauth does; they are never logged.
public actor URLSessionNovaClient: NovaClient {
    static let microversion = "2.76"

    private let auth: NovaAuth
    private let transport: any NovaHTTPTransport
    private var token: KeystoneToken?

    /// `cafile`: a PEM bundle of the CAs to trust for Keystone and Nova, instead of the system's.
    public init(auth: NovaAuth, cafile: String? = nil) {
        self.auth = auth
        transport = cafile.map { CurlNovaTransport(cafile: $0) } ?? URLSessionNovaTransport()
    }

    public func authenticate() async throws {
        token = nil
        _ = try await currentToken()
    }

    public func send(body: [UInt8], timeout: Duration) async -> NovaRequestResult {
        // The machine only sends after `authenticated`; an expired token is renewed here, a failure is a 401.
        guard let (endpoint, headers) = await target() else { return .failed(.status(401, body: "no Keystone token")) }
        do {
            let response = try await transport.post(endpoint.appendingPathComponent("os-server-external-events"),
                                                    headers: headers, body: body, timeout: timeout)
            if response.status == 401 { token = nil }
            return NovaResponse.translate(status: response.status, body: Array(response.body), requestBody: body)
        } catch {
            if case .unauthorized = error { token = nil }
            return .failed(error.failure)
        }
    }

    public func server(_ instanceUUID: String, timeout: Duration) async -> NovaServerLookup {
        guard let (endpoint, headers) = await target() else { return .failed(.status(401, body: "no Keystone token")) }
        do {
            let response = try await transport.get(endpoint.appendingPathComponent("servers").appendingPathComponent(instanceUUID),
                                                   headers: headers, timeout: timeout)
            if response.status == 401 { token = nil }
            return NovaServerLookup.parse(status: response.status, body: response.body)
        } catch {
            if case .unauthorized = error { token = nil }
            return .failed(error.failure)
        }
    }

    /// The compute endpoint and the headers every Nova request carries, or nil when no token can be had.
    private func target() async -> (URL, [(String, String)])? {
        let endpoint: URL, tokenValue: String?
        switch auth {
        case .noauth(let url):
            (endpoint, tokenValue) = (url, nil)
        case .keystone:
            guard let current = try? await currentToken() else { return nil }
            (endpoint, tokenValue) = (current.computeEndpoint, current.value)
        }
        var headers = Self.jsonHeaders + [("OpenStack-API-Version", "compute \(Self.microversion)"),
                                          ("X-OpenStack-Nova-API-Version", Self.microversion)]
        if let tokenValue { headers.append(("X-Auth-Token", tokenValue)) }
        return (endpoint, headers)
    }

    private static let jsonHeaders = [("Content-Type", "application/json"), ("Accept", "application/json")]

    private func currentToken() async throws -> KeystoneToken {
        guard case .keystone(let settings) = auth else { throw NovaAuthError("no Keystone configured") }
        if let token, token.isFresh(at: Date()) { return token }
        let response: NovaHTTPResponse
        do {
            response = try await transport.post(KeystoneRequest.tokensURL(settings.authURL), headers: Self.jsonHeaders,
                                                body: KeystoneRequest.body(settings.credential), timeout: .seconds(30))
        } catch {
            throw NovaAuthError("Keystone at \(settings.authURL.absoluteString): \(error.failure)")
        }
        guard (200..<300).contains(response.status) else {
            throw NovaAuthError("Keystone refused the credentials (HTTP \(response.status))")
        }
        guard let value = response.headers["x-subject-token"], !value.isEmpty else {
            throw NovaAuthError("Keystone's answer has no X-Subject-Token")
        }
        let fresh = try KeystoneRequest.parse(token: value, body: response.body, settings: settings)
        token = fresh
        return fresh
    }
}

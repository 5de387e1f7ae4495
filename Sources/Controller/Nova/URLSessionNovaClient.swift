import ControllerCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `NovaClient` over URLSession, with Keystone v3 tokens (password or application credential) or none.
/// Tokens are reused until two minutes before they expire, as keystoneauth does; they are never logged.
public actor URLSessionNovaClient: NovaClient {
    static let microversion = "2.76"

    private let auth: NovaAuth
    private let session: URLSession
    private var token: KeystoneToken?

    public init(auth: NovaAuth) {
        self.auth = auth
        // Without the delegate, corelibs URLSession waits forever on a 401 that carries WWW-Authenticate.
        session = URLSession(configuration: .ephemeral, delegate: DeclineNovaChallenges(), delegateQueue: nil)
    }

    public func authenticate() async throws {
        token = nil
        _ = try await currentToken()
    }

    public func send(body: [UInt8], timeout: Duration) async -> NovaRequestResult {
        let endpoint: URL, tokenValue: String?
        switch auth {
        case .noauth(let url):
            (endpoint, tokenValue) = (url, nil)
        case .keystone:
            // The machine only sends after `authenticated`; an expired token is renewed here, a failure is a 401.
            guard let current = try? await currentToken() else {
                return .failed(.status(401, body: "no Keystone token"))
            }
            (endpoint, tokenValue) = (current.computeEndpoint, current.value)
        }
        var request = URLRequest(url: endpoint.appendingPathComponent("os-server-external-events"))
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.timeoutInterval = timeout.seconds
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("compute \(Self.microversion)", forHTTPHeaderField: "OpenStack-API-Version")
        request.setValue(Self.microversion, forHTTPHeaderField: "X-OpenStack-Nova-API-Version")
        if let tokenValue { request.setValue(tokenValue, forHTTPHeaderField: "X-Auth-Token") }
        do {
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if status == 401 { token = nil }
            return NovaResponse.translate(status: status, body: Array(data), requestBody: body)
        } catch let error as URLError {
            return .failed(Self.failure(error))
        } catch {
            return .failed(.transport("\(error)"))
        }
    }

    private func currentToken() async throws -> KeystoneToken {
        guard case .keystone(let settings) = auth else { throw NovaAuthError("no Keystone configured") }
        if let token, token.isFresh(at: Date()) { return token }
        var request = URLRequest(url: KeystoneRequest.tokensURL(settings.authURL))
        request.httpMethod = "POST"
        request.httpBody = Data(KeystoneRequest.body(settings.credential))
        request.timeoutInterval = 30
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError {
            throw NovaAuthError("Keystone at \(settings.authURL.absoluteString): \(Self.failure(error))")
        }
        let http = response as? HTTPURLResponse
        guard let http, (200..<300).contains(http.statusCode) else {
            throw NovaAuthError("Keystone refused the credentials (HTTP \(http?.statusCode ?? 0))")
        }
        guard let value = http.value(forHTTPHeaderField: "X-Subject-Token"), !value.isEmpty else {
            throw NovaAuthError("Keystone's answer has no X-Subject-Token")
        }
        let fresh = try KeystoneRequest.parse(token: value, body: data, settings: settings)
        token = fresh
        return fresh
    }

    static func failure(_ error: URLError) -> NovaRequestFailure {
        switch error.code {
        case .timedOut: .timeout
        case .cannotConnectToHost: .connectionRefused
        // Only a declined authentication challenge cancels a task here: the answer was a 401.
        case .cancelled: .status(401, body: "")
        default: .transport(error.localizedDescription)
        }
    }
}

private final class DeclineNovaChallenges: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}

extension Duration {
    /// For URLRequest's TimeInterval.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

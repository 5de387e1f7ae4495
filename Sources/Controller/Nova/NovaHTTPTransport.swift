import ControllerCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange for the Nova client: a POST with a JSON body. Two implementations: URLSession (the system
/// trust store) and curl (a configured CA bundle, which URLSession cannot take on Linux; docs/nova-notifier.md).
protocol NovaHTTPTransport: Sendable {
    /// One request; `body` nil for a GET.
    func exchange(_ url: URL, method: String, headers: [(String, String)], body: [UInt8]?,
                  timeout: Duration) async throws(NovaTransportError) -> NovaHTTPResponse
}

extension NovaHTTPTransport {
    func post(_ url: URL, headers: [(String, String)], body: [UInt8], timeout: Duration) async throws(NovaTransportError)
        -> NovaHTTPResponse
    {
        try await exchange(url, method: "POST", headers: headers, body: body, timeout: timeout)
    }

    /// `GET /servers/{id}`, for the power-state hold's confirmation (docs/nova-notifier.md, "Closing the race").
    func get(_ url: URL, headers: [(String, String)], timeout: Duration) async throws(NovaTransportError) -> NovaHTTPResponse {
        try await exchange(url, method: "GET", headers: headers, body: nil, timeout: timeout)
    }
}

struct NovaHTTPResponse: Sendable {
    var status: Int
    /// Names lowercased.
    var headers: [String: String]
    var body: Data
}

enum NovaTransportError: Error, Sendable {
    case timeout
    case connectionRefused
    /// The TLS handshake failed: most often the server's certificate does not chain to a trusted CA.
    case tls(String)
    case transport(String)
    /// URLSession cancelled the task after a declined 401 challenge: the answer was a 401.
    case unauthorized

    var failure: NovaRequestFailure {
        switch self {
        case .timeout: .timeout
        case .connectionRefused: .connectionRefused
        case .tls(let why): .transport("TLS handshake failed (is [nova] cafile the CA that signed Nova's certificate?): \(why)")
        case .transport(let why): .transport(why)
        case .unauthorized: .status(401, body: "")
        }
    }
}

/// URLSession with the system trust store.
struct URLSessionNovaTransport: NovaHTTPTransport {
    private let session: URLSession

    init() {
        // Without the delegate, corelibs URLSession waits forever on a 401 that carries WWW-Authenticate.
        session = URLSession(configuration: .ephemeral, delegate: DeclineNovaChallenges(), delegateQueue: nil)
    }

    func exchange(_ url: URL, method: String, headers: [(String, String)], body: [UInt8]?,
                          timeout: Duration) async throws(NovaTransportError) -> NovaHTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body.map { Data($0) }
        request.timeoutInterval = timeout.seconds
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        do {
            // URLSession's own timeout does not always hold on Linux; a second later the deadline does.
            guard let (data, response) = try await withHardDeadline(timeout + .seconds(1), { [session, request] in
                try await session.data(for: request)
            }) else { throw NovaTransportError.timeout }
            let http = response as? HTTPURLResponse
            var fields: [String: String] = [:]
            for (name, value) in http?.allHeaderFields ?? [:] { fields["\(name)".lowercased()] = "\(value)" }
            return NovaHTTPResponse(status: http?.statusCode ?? 0, headers: fields, body: data)
        } catch let error as NovaTransportError {
            throw error
        } catch let error as URLError {
            throw Self.failure(error)
        } catch {
            throw .transport("\(error)")
        }
    }

    static func failure(_ error: URLError) -> NovaTransportError {
        switch error.code {
        case .timedOut: .timeout
        case .cannotConnectToHost: .connectionRefused
        // Only a declined authentication challenge cancels a task here: the answer was a 401.
        case .cancelled: .unauthorized
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected:
            .tls(error.localizedDescription)
        // corelibs reports some of libcurl's TLS failures under other codes, with curl's message.
        case _ where error.localizedDescription.contains("SSL") || error.localizedDescription.contains("certificate"):
            .tls(error.localizedDescription)
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

import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the controller's API is and who we are to it: `--url` or `FERRUM_URL`, optional HTTP Basic credentials.
struct FerrumAPIOptions: ParsableArguments {
    @Option(help: "The Ferrum API (or FERRUM_URL; default http://127.0.0.1:6385).") var url: String?
    @Option(help: "HTTP Basic user, when the API runs http_basic (or FERRUM_USERNAME).") var username: String?
    @Option(help: "HTTP Basic password (or --password-file, or FERRUM_PASSWORD).") var password: String?
    @Option(help: "File holding the HTTP Basic password.") var passwordFile: String?

    func client() throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let base = url ?? environment["FERRUM_URL"] ?? "http://127.0.0.1:6385"
        guard let parsed = URL(string: base), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil,
              parsed.query == nil else {
            throw ValidationError("--url must be an http:// or https:// URL, like http://127.0.0.1:6385")
        }
        var authorization: String?
        if let user = username ?? environment["FERRUM_USERNAME"] {
            let secret = try PasswordSource(literal: password, file: passwordFile, environmentVariable: "FERRUM_PASSWORD")
                .resolve()
            authorization = "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()
        } else if password != nil || passwordFile != nil {
            throw ValidationError("a password needs --username (or FERRUM_USERNAME)")
        }
        return APIClient(base: base.hasSuffix("/") ? String(base.dropLast()) : base, authorization: authorization)
    }
}

/// Why a call did not succeed; each kind has its own exit status (listed in `ferrum node --help`).
enum APIFailure: Error, Sendable {
    /// The API answered with an error; `message` is Ironic's faultstring, `hint` what to do about it.
    case refused(status: Int, message: String, hint: String? = nil)
    case unreachable(url: String, detail: String)
    /// The request went through but the outcome is not what was asked (a power action's `last_error`).
    case actionFailed(String)

    var exitCode: Int32 {
        switch self {
        case .refused: 1
        case .unreachable: 3
        case .actionFailed: 4
        }
    }

    var message: String {
        switch self {
        case .refused(let status, let message, let hint): "\(message) (\(status))" + (hint.map { "; \($0)" } ?? "")
        case .unreachable(let url, let detail): "cannot reach the Ferrum API at \(url): is `ferrum serve` running? (\(detail))"
        case .actionFailed(let message): message
        }
    }

    /// The same failure with context in front of its message.
    func prefixed(_ context: String) -> APIFailure {
        switch self {
        case .refused(let status, let message, let hint): .refused(status: status, message: context + message, hint: hint)
        case .unreachable: self
        case .actionFailed(let message): .actionFailed(context + message)
        }
    }
}

/// A JSON client for the Ironic-shaped API. Every request carries the microversion this CLI was written against.
struct APIClient: Sendable {
    /// Ferrum's maximum; the fields and verbs used here all exist at it.
    static let microversion = "1.95"

    let base: String
    let authorization: String?

    /// Enough connections for the bulk enrolment's requests in flight (the default would queue all but six).
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = BulkEnrolment.inFlight
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration, delegate: DeclineChallenges(), delegateQueue: nil)
    }()

    /// Sends one request; returns the body of a 2xx answer, throws `APIFailure` otherwise.
    @discardableResult
    func send(_ method: String, _ path: String, query: [URLQueryItem] = [], body: JSONValue? = nil) async throws(APIFailure) -> Data {
        var components = URLComponents(string: base + path)
        if !query.isEmpty { components?.queryItems = query }
        guard let url = components?.url else { throw .refused(status: 0, message: "bad request path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(Self.microversion, forHTTPHeaderField: "X-OpenStack-Ironic-API-Version")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("ferrum-cli", forHTTPHeaderField: "User-Agent")
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try? JSONEncoder().encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await Self.session.data(for: request)
        } catch let error as URLError where error.code == .cancelled {
            // Only a declined authentication challenge cancels a task here: the answer was a 401.
            throw authenticationRefused(Data())
        } catch {
            throw .unreachable(url: base, detail: error.localizedDescription)
        }
        let http = response as? HTTPURLResponse
        let status = http?.statusCode ?? 0
        guard !(200..<300).contains(status) else { return data }
        if status == 406, !Self.speaks(http?.value(forHTTPHeaderField: "X-OpenStack-Ironic-API-Maximum-Version")) {
            let range = [http?.value(forHTTPHeaderField: "X-OpenStack-Ironic-API-Minimum-Version"),
                         http?.value(forHTTPHeaderField: "X-OpenStack-Ironic-API-Maximum-Version")]
            let supported = range.allSatisfy { $0 != nil } ? " (it supports \(range[0]!) to \(range[1]!))" : ""
            throw .refused(status: status, message: "the API at \(base) does not speak API version \(Self.microversion)\(supported)",
                           hint: "use the ferrum of the server's release")
        }
        if status == 401 { throw authenticationRefused(data) }
        throw .refused(status: status, message: Self.faultString(data) ?? "\(method) \(path) failed")
    }

    private func authenticationRefused(_ body: Data) -> APIFailure {
        guard authorization != nil else {
            return .refused(status: 401, message: Self.faultString(body) ?? "the API requires credentials",
                            hint: "give --username and --password (or FERRUM_USERNAME, FERRUM_PASSWORD)")
        }
        return .refused(status: 401, message: Self.faultString(body) ?? "incorrect username or password")
    }

    /// Whether a server's maximum microversion covers ours (a 406 can also refuse one field or parameter).
    private static func speaks(_ maximum: String?) -> Bool {
        guard let maximum, let theirs = Int(maximum.split(separator: ".").last ?? ""),
              let ours = Int(microversion.split(separator: ".").last ?? "") else { return false }
        return theirs >= ours
    }

    /// Sends one request and decodes its JSON answer.
    func json(_ method: String, _ path: String, query: [URLQueryItem] = [], body: JSONValue? = nil) async throws(APIFailure) -> JSONValue {
        let data = try await send(method, path, query: query, body: body)
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw .refused(status: 200, message: "\(method) \(path): the answer is not JSON")
        }
        return value
    }

    /// `/v1/nodes/NAME-OR-UUID` with the identifier escaped: names may hold characters a path may not.
    static func nodePath(_ node: String, _ suffix: String = "") -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        return "/v1/nodes/" + (node.addingPercentEncoding(withAllowedCharacters: allowed) ?? node) + suffix
    }

    /// The message from an error body: Ironic's `{"error_message": "<JSON with faultstring>"}`, its http_basic
    /// `{"error": {"message": ...}}`, or plain text.
    static func faultString(_ data: Data) -> String? {
        if let body = try? JSONDecoder().decode(JSONValue.self, from: data) {
            var inner = body["error_message"]
            if case .string(let text)? = inner, let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
                inner = parsed
            }
            if let fault = inner?["faultstring"]?.string ?? inner?.string ?? body["error"]?["message"]?.string {
                return tidy(fault)
            }
        }
        let text = String(decoding: data.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : tidy(text)
    }

    /// "Node x could not be found." → "node x could not be found", to read well before "(404)".
    private static func tidy(_ message: String) -> String {
        var text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasSuffix(".") { text.removeLast() }
        let start = text.prefix(2)
        if start.count == 2, start.first!.isUppercase, start.last!.isLowercase {
            text = text.prefix(1).lowercased() + text.dropFirst()
        }
        return text
    }
}

/// swift-corelibs-foundation leaves a task waiting forever on a 401 with `WWW-Authenticate` when no delegate answers
/// the challenge (swift-corelibs-foundation#5456, fixed after 6.3.1). Declining it ends the task as cancelled; the
/// credentials, if any, were already sent as a header, so there is nothing better to offer.
private final class DeclineChallenges: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        completionHandler(.cancelAuthenticationChallenge, nil)
    }
}

/// Runs a verb's body and turns an `APIFailure` into its message on stderr and its exit status.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as APIFailure {
        FileHandle.standardError.write(Data("ferrum: \(failure.message)\n".utf8))
        throw ExitCode(failure.exitCode)
    }
}

import Foundation
import HTTPTypes
import Hummingbird

/// Ironic's headers on every response (ironic.md A1): the supported range, the version used, request ids. A bad
/// version header is answered here with 406 before any route runs.
struct IronicHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestIDHeader: HTTPField.Name { HTTPField.Name("x-openstack-request-id")! }
    static var legacyRequestIDHeader: HTTPField.Name { HTTPField.Name("openstack-request-id")! }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        var used = APIVersion.minimum
        do {
            used = try APIVersion.requested(by: request.headers)
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        }
        let requestID = "req-" + UUID().uuidString.lowercased()
        response.headers[APIVersion.minimumHeader] = APIVersion.minimum.description
        response.headers[APIVersion.maximumHeader] = APIVersion.maximum.description
        response.headers[APIVersion.versionHeader] = used.description
        response.headers[Self.requestIDHeader] = requestID
        response.headers[Self.legacyRequestIDHeader] = requestID
        return response
    }
}

/// How the API authenticates callers: Ironic's `noauth` or `http_basic` (ironic.md A11).
public enum APIAuthentication: Sendable {
    case none
    case httpBasic(HtpasswdFile)
}

/// `http_basic`: `Authorization: Basic` checked against an htpasswd file of bcrypt hashes. Discovery and
/// `/health` stay public, as Ironic's root and version documents are.
struct BasicAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let users: HtpasswdFile
    /// `[nova] nova_api_users`: their requests are Nova's (`NovaCaller`).
    var novaUsers: Set<String> = []
    static var publicPaths: Set<String> { ["/", "/v1", "/v1/", "/health"] }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.publicPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else { return Self.refusal(.unauthorized, "Authorization required") }
        let words = header.split(separator: " ", maxSplits: 1)
        guard words.count == 2, words[0].lowercased() == "basic", let decoded = Data(base64Encoded: String(words[1])),
              let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":") else {
            return Self.refusal(.badRequest, "Unsupported or malformed Authorization header")
        }
        let user = String(pair[..<colon])
        guard await users.verify(user: user, password: String(pair[pair.index(after: colon)...])) else {
            return Self.refusal(.unauthorized, "Incorrect username or password")
        }
        return try await NovaCaller.$isNova.withValue(novaUsers.contains(user)) { try await next(request, context) }
    }

    /// Ironic's auth_basic body, which differs from its usual error body.
    static func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body: [String: Any] = ["error": ["message": message, "code": status.code]]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"Baremetal API\"" }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}

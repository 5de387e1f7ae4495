/// What became of one `POST /os-server-external-events`, as the shell reports it.
public enum NovaRequestResult: Hashable, Sendable {
    /// HTTP 200 or 207: the per-event `code`s, in request order (nova.md §1.5: match by position, never by uuid).
    /// The shell also maps Train's all-failed HTTP 404 "No instances found for any event" to all-404 here.
    case perEvent([Int])
    case failed(NovaRequestFailure)
}

/// A whole-request failure: nothing in the batch is known to have been applied.
public enum NovaRequestFailure: Hashable, Sendable, CustomStringConvertible {
    /// The configured request timeout passed; Nova may still have applied the events (at-least-once).
    case timeout
    case connectionRefused
    /// Any other transport error (DNS, TLS, reset), with its description.
    case transport(String)
    /// An HTTP status other than 200/207, with the response body (the shell truncates it) for logs and reasons.
    case status(Int, body: String)
    /// 200/207 whose body could not be read, or whose events do not match the request one-to-one.
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .timeout: "request timed out"
        case .connectionRefused: "connection refused"
        case .transport(let why): "transport error: \(why)"
        case .status(let code, let body): body.isEmpty ? "HTTP \(code)" : "HTTP \(code): \(body)"
        case .invalidResponse(let why): "invalid response: \(why)"
        }
    }
}

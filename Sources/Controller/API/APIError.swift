import ControllerCore
import Foundation
import Hummingbird

/// An error the API answers with; every domain error is mapped to one of these in `APIError.from` and nowhere else.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }
    static func conflict(_ message: String) -> APIError { APIError(status: .conflict, message: message) }

    /// The one place where controller, store and decoding errors become HTTP statuses.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let refusal as PowerActionRefusal:
            switch refusal {
            case .conflict: return .conflict(refusal.description)
            case .invalidProvisionState, .invalidDriverInfo: return .badRequest(refusal.description)
            }
        case let refusal as ProvisionRefusal:
            switch refusal {
            case .busy: return .conflict(refusal.description)
            case .invalidState, .invalidDriverInfo: return .badRequest(refusal.description)
            }
        case let refusal as NodeDeletionRefusal:
            switch refusal {
            case .locked, .associated: return .conflict(refusal.description)
            case .invalidState: return .badRequest(refusal.description)
            }
        case let error as PowerControllerError:
            switch error {
            case .nodeNotFound: return .notFound(error.description)
            case .notStarted, .shuttingDown: return APIError(status: .serviceUnavailable, message: error.description)
            }
        case let error as StoreError:
            switch error {
            case .duplicate: return .conflict(error.description)
            case .nodeNotFound: return .notFound(error.description)
            case .unusable, .corruptRow, .closed: return APIError(status: .serviceUnavailable, message: error.description)
            }
        case let error as DecodingError:
            return .badRequest("Invalid JSON body: \(describe(error))")
        case let error as HTTPError:
            return APIError(status: error.status, message: error.body ?? "\(error.status)")
        default:
            return APIError(status: .internalServerError, message: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
             .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Ironic's error body: `error_message` holds a JSON document as a string (what its clients parse).
    var response: Response {
        let fault: [String: String?] = [
            "faultstring": message, "faultcode": status.code < 500 ? "Client" : "Server", "debuginfo": nil,
        ]
        let inner = (try? JSONEncoder().encode(fault)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        return (try? NodeAPI.json(["error_message": inner], status: status)) ?? Response(status: status)
    }
}

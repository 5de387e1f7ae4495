import Foundation
import HTTPTypes
import Hummingbird

/// An Ironic API microversion (`1.x`). The service speaks 1.1 through `maximum`; a request without a header runs
/// at 1.1, as Ironic's (ironic.md A1).
public struct APIVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let minor: Int

    public init(_ minor: Int) { self.minor = minor }

    public static let minimum = APIVersion(1)
    /// The newest version whose behaviour this API honours for every field and route it serves.
    public static let maximum = APIVersion(95)

    public static func < (lhs: APIVersion, rhs: APIVersion) -> Bool { lhs.minor < rhs.minor }
    public var description: String { "1.\(minor)" }

    static let versionHeader = HTTPField.Name("X-OpenStack-Ironic-API-Version")!
    static let minimumHeader = HTTPField.Name("X-OpenStack-Ironic-API-Minimum-Version")!
    static let maximumHeader = HTTPField.Name("X-OpenStack-Ironic-API-Maximum-Version")!
    static let genericHeader = HTTPField.Name("OpenStack-API-Version")!

    /// The version a request asks for: Ironic's own header, else `OpenStack-API-Version: baremetal 1.x`, else 1.1.
    /// Throws the 406 Ironic answers for a malformed or unsupported version.
    static func requested(by headers: HTTPFields) throws(APIError) -> APIVersion {
        var text = headers[versionHeader]
        if text == nil, let generic = headers[genericHeader] {
            let words = generic.split(separator: " ")
            if words.count == 2, words[0].lowercased() == "baremetal" { text = String(words[1]) }
        }
        guard let text = text?.trimmingCharacters(in: .whitespaces) else { return .minimum }
        if text.lowercased() == "latest" { return .maximum }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "1", let minor = Int(parts[1]), parts[1].allSatisfy(\.isNumber) else {
            throw APIError(status: .notAcceptable, message: "Invalid value for X-OpenStack-Ironic-API-Version header: \(text)")
        }
        let version = APIVersion(minor)
        guard (minimum...maximum).contains(version) else {
            throw APIError(status: .notAcceptable,
                           message: "Version \(text) was requested but the minor version is not supported by this service. "
                               + "The supported version range is: [\(minimum), \(maximum)].")
        }
        return version
    }
}

/// RMCP+ authentication (RAKP) algorithms.
public enum AuthenticationAlgorithm: UInt8, Sendable, Hashable {
    case none = 0x00
    case hmacSHA1 = 0x01
    case hmacMD5 = 0x02
    case hmacSHA256 = 0x03

    /// Length of the RAKP2/RAKP3 key-exchange AuthCode and of SIK, K1 and K2.
    public var hmacLength: Int {
        switch self {
        case .none: 0
        case .hmacSHA1: 20
        case .hmacMD5: 16
        case .hmacSHA256: 32
        }
    }

    /// Length of the RAKP4 integrity check value (a truncated HMAC).
    public var icvLength: Int {
        switch self {
        case .none: 0
        case .hmacSHA1: 12
        case .hmacMD5, .hmacSHA256: 16
        }
    }
}

/// RMCP+ per-packet integrity algorithms.
public enum IntegrityAlgorithm: UInt8, Sendable, Hashable {
    case none = 0x00
    case hmacSHA1_96 = 0x01
    case hmacMD5_128 = 0x02
    case md5_128 = 0x03
    case hmacSHA256_128 = 0x04

    public var authCodeLength: Int {
        switch self {
        case .none: 0
        case .hmacSHA1_96: 12
        case .hmacMD5_128, .md5_128, .hmacSHA256_128: 16
        }
    }
}

/// RMCP+ confidentiality algorithms.
public enum ConfidentialityAlgorithm: UInt8, Sendable, Hashable {
    case none = 0x00
    case aesCBC128 = 0x01
    case xRC4_128 = 0x02
    case xRC4_40 = 0x03
}

/// A cipher suite: the triple of algorithms a session uses. Ferrum implements suites 3 and 17, and 0 only
/// when a caller enables it explicitly (it sends everything in the clear with no authentication at all).
public struct CipherSuite: Hashable, Sendable, CustomStringConvertible {
    public var id: UInt8
    public var authentication: AuthenticationAlgorithm
    public var integrity: IntegrityAlgorithm
    public var confidentiality: ConfidentialityAlgorithm

    public static let suite0 = Self(id: 0, authentication: .none, integrity: .none, confidentiality: .none)
    public static let suite3 = Self(id: 3, authentication: .hmacSHA1, integrity: .hmacSHA1_96, confidentiality: .aesCBC128)
    public static let suite17 = Self(id: 17, authentication: .hmacSHA256, integrity: .hmacSHA256_128, confidentiality: .aesCBC128)

    /// The suites this implementation can run, strongest first.
    public static let implemented: [Self] = [.suite17, .suite3, .suite0]

    public init(id: UInt8, authentication: AuthenticationAlgorithm, integrity: IntegrityAlgorithm, confidentiality: ConfidentialityAlgorithm) {
        self.id = id
        self.authentication = authentication
        self.integrity = integrity
        self.confidentiality = confidentiality
    }

    public init?(id: UInt8) {
        guard let suite = Self.implemented.first(where: { $0.id == id }) else { return nil }
        self = suite
    }

    /// The implemented suite with exactly these algorithms, if any.
    public init?(authentication: UInt8, integrity: UInt8, confidentiality: UInt8) {
        guard let suite = Self.implemented.first(where: {
            $0.authentication.rawValue == authentication && $0.integrity.rawValue == integrity
                && $0.confidentiality.rawValue == confidentiality
        }) else { return nil }
        self = suite
    }

    public var description: String { "cipher suite \(id)" }
}

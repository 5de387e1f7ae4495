import Crypto

/// Everything both sides feed into the RAKP HMACs, in wire order (IPMI v2.0 section 13.31-13.32).
public struct RAKPInputs: Sendable, Hashable {
    public var consoleSessionID: UInt32
    public var bmcSessionID: UInt32
    public var consoleRandom: [UInt8]
    public var bmcRandom: [UInt8]
    public var bmcGUID: [UInt8]
    /// RAKP1 byte 24 as sent, including the name-only lookup bit.
    public var role: UInt8
    public var username: [UInt8]

    public init(consoleSessionID: UInt32, bmcSessionID: UInt32, consoleRandom: [UInt8], bmcRandom: [UInt8],
                bmcGUID: [UInt8], role: UInt8, username: [UInt8]) {
        self.consoleSessionID = consoleSessionID
        self.bmcSessionID = bmcSessionID
        self.consoleRandom = consoleRandom
        self.bmcRandom = bmcRandom
        self.bmcGUID = bmcGUID
        self.role = role
        self.username = username
    }

    var roleAndName: [UInt8] { [role, UInt8(truncatingIfNeeded: username.count)] + username }

    static func le(_ value: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(value)
        return out
    }

    public var rakp2Message: [UInt8] {
        Self.le(consoleSessionID) + Self.le(bmcSessionID) + consoleRandom + bmcRandom + bmcGUID + roleAndName
    }
    public var rakp3Message: [UInt8] { bmcRandom + Self.le(consoleSessionID) + roleAndName }
    public var sikMessage: [UInt8] { consoleRandom + bmcRandom + roleAndName }
    public var rakp4Message: [UInt8] { consoleRandom + Self.le(bmcSessionID) + bmcGUID }
}

/// The RAKP key exchange computations for one authentication algorithm.
public struct KeyExchange: Sendable {
    public var algorithm: AuthenticationAlgorithm

    public init(_ algorithm: AuthenticationAlgorithm) { self.algorithm = algorithm }

    public func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        let symmetricKey = SymmetricKey(data: key)
        switch algorithm {
        case .hmacSHA1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: symmetricKey))
        case .hmacSHA256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: symmetricKey))
        case .hmacMD5: return Array(HMAC<Insecure.MD5>.authenticationCode(for: message, using: symmetricKey))
        case .none: return []
        }
    }

    /// RAKP2 key-exchange AuthCode, keyed by the user's password (Kuid).
    public func rakp2AuthCode(password: [UInt8], _ inputs: RAKPInputs) -> [UInt8] { hmac(key: password, inputs.rakp2Message) }
    /// RAKP3 key-exchange AuthCode, keyed by Kuid.
    public func rakp3AuthCode(password: [UInt8], _ inputs: RAKPInputs) -> [UInt8] { hmac(key: password, inputs.rakp3Message) }
    /// Session Integrity Key, keyed by Kg (the BMC key) when one is set, else by Kuid.
    public func sessionIntegrityKey(password: [UInt8], kg: [UInt8]?, _ inputs: RAKPInputs) -> [UInt8] {
        hmac(key: kg ?? password, inputs.sikMessage)
    }
    /// K1 (integrity key) and K2 (confidentiality key): HMAC(SIK, 20 × 01) and HMAC(SIK, 20 × 02).
    /// The constant is 20 bytes for SHA-256 too.
    public func additionalKey(sik: [UInt8], _ n: UInt8) -> [UInt8] { hmac(key: sik, [UInt8](repeating: n, count: 20)) }
    /// RAKP4 integrity check value: HMAC(SIK, Rm | SIDc | GUIDc) truncated.
    public func rakp4ICV(sik: [UInt8], _ inputs: RAKPInputs) -> [UInt8] {
        Array(hmac(key: sik, inputs.rakp4Message).prefix(algorithm.icvLength))
    }

    /// Derives SIK, K1 and K2 for an established session.
    public func sessionKeys(password: [UInt8], kg: [UInt8]?, _ inputs: RAKPInputs) -> SessionKeys {
        let sik = sessionIntegrityKey(password: password, kg: kg, inputs)
        return SessionKeys(sik: sik, k1: additionalKey(sik: sik, 0x01), k2: additionalKey(sik: sik, 0x02))
    }
}

/// SIK and the two additional keys derived from it.
public struct SessionKeys: Sendable, Hashable {
    public var sik: [UInt8]
    public var k1: [UInt8]
    public var k2: [UInt8]

    public init(sik: [UInt8], k1: [UInt8], k2: [UInt8]) {
        self.sik = sik
        self.k1 = k1
        self.k2 = k2
    }
}

/// Compares two MACs without leaking where they differ.
@inlinable
public func constantTimeEquals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
where A.Element == UInt8, B.Element == UInt8 {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}

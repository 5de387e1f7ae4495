/// RMCP+ Open Session Request (payload 0x10).
public struct OpenSessionRequest: Hashable, Sendable {
    public var tag: UInt8
    /// Requested maximum privilege; `.none` asks for the highest the proposed algorithms allow.
    public var requestedPrivilege: PrivilegeLevel
    public var consoleSessionID: UInt32
    public var authentication: UInt8
    public var integrity: UInt8
    public var confidentiality: UInt8

    public init(tag: UInt8, requestedPrivilege: PrivilegeLevel, consoleSessionID: UInt32, suite: CipherSuite) {
        self.tag = tag
        self.requestedPrivilege = requestedPrivilege
        self.consoleSessionID = consoleSessionID
        self.authentication = suite.authentication.rawValue
        self.integrity = suite.integrity.rawValue
        self.confidentiality = suite.confidentiality.rawValue
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [tag, requestedPrivilege.rawValue, 0, 0]
        out.appendLE(consoleSessionID)
        out += [0x00, 0, 0, 0x08, authentication, 0, 0, 0]
        out += [0x01, 0, 0, 0x08, integrity, 0, 0, 0]
        out += [0x02, 0, 0, 0x08, confidentiality, 0, 0, 0]
        return out
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Self {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        let privilegeOffset = reader.offset
        guard let privilege = PrivilegeLevel(rawValue: try reader.readByte() & 0x0F) else {
            throw IPMIDecodingError(.invalidField, at: privilegeOffset, "requested privilege")
        }
        _ = try reader.readBytes(2)
        let consoleSessionID = try reader.readUInt32LE()
        var algorithms: [UInt8] = []
        for payloadType in [UInt8(0), 1, 2] {
            algorithms.append(try AlgorithmPayload.decode(&reader, type: payloadType))
        }
        try reader.expectEnd("Open Session Request")
        var request = Self(tag: tag, requestedPrivilege: privilege, consoleSessionID: consoleSessionID, suite: .suite0)
        (request.authentication, request.integrity, request.confidentiality) = (algorithms[0], algorithms[1], algorithms[2])
        return request
    }
}

/// The 8-byte algorithm payload of Open Session messages: `type | 00 00 | 08 | algorithm | 00 00 00`.
enum AlgorithmPayload {
    static func decode(_ reader: inout ByteReader, type: UInt8) throws -> UInt8 {
        try reader.expect(type, .invalidField, "algorithm payload type")
        _ = try reader.readBytes(2)
        let lengthOffset = reader.offset
        let length = try reader.readByte()
        // Length 0 ("BMC picks") is legal in a request but carries no algorithm; Ferrum requires an explicit one.
        guard length == 8 else { throw IPMIDecodingError(.invalidField, at: lengthOffset, "algorithm payload length \(length)") }
        let algorithm = try reader.readByte() & 0x3F
        _ = try reader.readBytes(3)
        return algorithm
    }
}

/// RMCP+ Open Session Response (payload 0x11). Error replies may be as short as two bytes (tag, status).
public struct OpenSessionResponse: Hashable, Sendable {
    public var tag: UInt8
    public var status: RMCPPlusStatus
    public var maximumPrivilege: UInt8
    public var consoleSessionID: UInt32
    public var bmcSessionID: UInt32
    public var authentication: UInt8
    public var integrity: UInt8
    public var confidentiality: UInt8

    public init(tag: UInt8, status: RMCPPlusStatus, maximumPrivilege: UInt8 = 0, consoleSessionID: UInt32,
                bmcSessionID: UInt32 = 0, authentication: UInt8 = 0, integrity: UInt8 = 0, confidentiality: UInt8 = 0) {
        self.tag = tag
        self.status = status
        self.maximumPrivilege = maximumPrivilege
        self.consoleSessionID = consoleSessionID
        self.bmcSessionID = bmcSessionID
        self.authentication = authentication
        self.integrity = integrity
        self.confidentiality = confidentiality
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [tag, status.rawValue, maximumPrivilege, 0]
        out.appendLE(consoleSessionID)
        guard status == .noErrors else { return out }
        out.appendLE(bmcSessionID)
        out += [0x00, 0, 0, 0x08, authentication, 0, 0, 0]
        out += [0x01, 0, 0, 0x08, integrity, 0, 0, 0]
        out += [0x02, 0, 0, 0x08, confidentiality, 0, 0, 0]
        return out
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Self {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        let status = RMCPPlusStatus(try reader.readByte())
        guard status == .noErrors else {
            // Error replies: only tag and status are dependable (ipmi_sim sends just these two bytes).
            let rest = reader.readRest()
            let sidm: UInt32 = rest.count >= 6 ? rest.dropFirst(2).prefix(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } : 0
            return Self(tag: tag, status: status, consoleSessionID: sidm)
        }
        let privilege = try reader.readByte() & 0x0F
        _ = try reader.readByte()
        let sidm = try reader.readUInt32LE()
        let sidc = try reader.readUInt32LE()
        let auth = try AlgorithmPayload.decode(&reader, type: 0)
        let integrity = try AlgorithmPayload.decode(&reader, type: 1)
        let confidentiality = try AlgorithmPayload.decode(&reader, type: 2)
        try reader.expectEnd("Open Session Response")
        return Self(tag: tag, status: status, maximumPrivilege: privilege, consoleSessionID: sidm, bmcSessionID: sidc,
                    authentication: auth, integrity: integrity, confidentiality: confidentiality)
    }
}

/// RAKP Message 1 (payload 0x12), console to BMC.
public struct RAKP1: Hashable, Sendable {
    public static let nameOnlyLookup: UInt8 = 0x10

    public var tag: UInt8
    public var bmcSessionID: UInt32
    public var consoleRandom: [UInt8]
    /// Requested maximum privilege in bits 3:0, name-only lookup in bit 4; fed whole into the HMACs.
    public var role: UInt8
    public var username: [UInt8]
    /// False when the received ULEN was over 16; `username` is then empty and the BMC must answer status 0C.
    public var hasValidNameLength = true

    public init(tag: UInt8, bmcSessionID: UInt32, consoleRandom: [UInt8], role: UInt8, username: [UInt8]) {
        self.tag = tag
        self.bmcSessionID = bmcSessionID
        self.consoleRandom = consoleRandom
        self.role = role
        self.username = username
    }

    public var requestedPrivilege: PrivilegeLevel? { PrivilegeLevel(rawValue: role & 0x0F) }
    public var isNameOnlyLookup: Bool { role & Self.nameOnlyLookup != 0 }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [tag, 0, 0, 0]
        out.appendLE(bmcSessionID)
        out += consoleRandom
        out += [role, 0, 0, UInt8(truncatingIfNeeded: username.count)]
        out += username
        return out
    }

    /// Accepts the 28+ULEN form and the 44-byte form with the name zero-padded to 16 bytes. A name length
    /// over 16 decodes (so the BMC can answer status 0C) but is flagged by `hasValidNameLength`.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Self {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        _ = try reader.readBytes(3)
        let sidc = try reader.readUInt32LE()
        let random = try reader.readBytes(16)
        let role = try reader.readByte()
        _ = try reader.readBytes(2)
        let length = Int(try reader.readByte())
        let name = length <= 16 ? try reader.readBytes(length) : []
        _ = reader.readRest()
        var message = Self(tag: tag, bmcSessionID: sidc, consoleRandom: Array(random), role: role, username: Array(name))
        message.hasValidNameLength = length <= 16
        return message
    }
}

/// RAKP Message 2 (payload 0x13), BMC to console. Error replies carry only tag and status reliably.
public struct RAKP2: Hashable, Sendable {
    public var tag: UInt8
    public var status: RMCPPlusStatus
    public var consoleSessionID: UInt32
    public var bmcRandom: [UInt8]
    public var bmcGUID: [UInt8]
    public var authCode: [UInt8]

    public init(tag: UInt8, status: RMCPPlusStatus, consoleSessionID: UInt32, bmcRandom: [UInt8] = [],
                bmcGUID: [UInt8] = [], authCode: [UInt8] = []) {
        self.tag = tag
        self.status = status
        self.consoleSessionID = consoleSessionID
        self.bmcRandom = bmcRandom
        self.bmcGUID = bmcGUID
        self.authCode = authCode
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [tag, status.rawValue, 0, 0]
        out.appendLE(consoleSessionID)
        guard status == .noErrors else { return out }
        return out + bmcRandom + bmcGUID + authCode
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Self {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        let status = RMCPPlusStatus(try reader.readByte())
        guard status == .noErrors else { return Self(tag: tag, status: status, consoleSessionID: 0) }
        _ = try reader.readBytes(2)
        let sidm = try reader.readUInt32LE()
        let random = try reader.readBytes(16)
        let guid = try reader.readBytes(16)
        let code = reader.readRest()
        return Self(tag: tag, status: status, consoleSessionID: sidm, bmcRandom: Array(random), bmcGUID: Array(guid), authCode: Array(code))
    }
}

/// RAKP Message 3 (payload 0x14), console to BMC: the console's verdict and its key-exchange AuthCode.
public struct RAKP3: Hashable, Sendable {
    public var tag: UInt8
    public var status: RMCPPlusStatus
    public var bmcSessionID: UInt32
    public var authCode: [UInt8]

    public init(tag: UInt8, status: RMCPPlusStatus, bmcSessionID: UInt32, authCode: [UInt8]) {
        self.tag = tag
        self.status = status
        self.bmcSessionID = bmcSessionID
        self.authCode = authCode
    }

    public func encoded() -> [UInt8] { StatusFrame.encode(tag: tag, status: status, sessionID: bmcSessionID, tail: authCode) }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Self {
        let frame = try StatusFrame.decode(bytes)
        return Self(tag: frame.tag, status: frame.status, bmcSessionID: frame.sessionID, authCode: frame.tail)
    }
}

/// RAKP Message 4 (payload 0x15), BMC to console: the integrity check value proving the BMC derived the SIK.
public struct RAKP4: Hashable, Sendable {
    public var tag: UInt8
    public var status: RMCPPlusStatus
    public var consoleSessionID: UInt32
    public var integrityCheckValue: [UInt8]

    public init(tag: UInt8, status: RMCPPlusStatus, consoleSessionID: UInt32, integrityCheckValue: [UInt8] = []) {
        self.tag = tag
        self.status = status
        self.consoleSessionID = consoleSessionID
        self.integrityCheckValue = integrityCheckValue
    }

    public func encoded() -> [UInt8] {
        StatusFrame.encode(tag: tag, status: status, sessionID: consoleSessionID, tail: integrityCheckValue)
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Self {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        let status = RMCPPlusStatus(try reader.readByte())
        // Error replies: only tag and status are dependable.
        guard status == .noErrors else { return Self(tag: tag, status: status, consoleSessionID: 0) }
        let frame = try StatusFrame.decode(bytes)
        return Self(tag: tag, status: status, consoleSessionID: frame.sessionID, integrityCheckValue: frame.tail)
    }
}

/// The layout RAKP3 and RAKP4 share: `tag | status | 00 00 | session ID (LE) | tail`.
enum StatusFrame {
    static func encode(tag: UInt8, status: RMCPPlusStatus, sessionID: UInt32, tail: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag, status.rawValue, 0, 0]
        out.appendLE(sessionID)
        return out + tail
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws -> (tag: UInt8, status: RMCPPlusStatus, sessionID: UInt32, tail: [UInt8]) {
        var reader = ByteReader(bytes)
        let tag = try reader.readByte()
        let status = RMCPPlusStatus(try reader.readByte())
        _ = try reader.readBytes(2)
        let sessionID = try reader.readUInt32LE()
        return (tag, status, sessionID, Array(reader.readRest()))
    }
}

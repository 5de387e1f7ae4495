/// RMCP message classes carried in byte 3 of every datagram (bit 7, the ACK flag, is never set for IPMI).
public enum RMCPClass: UInt8, Sendable {
    case asf = 0x06
    case ipmi = 0x07
}

/// The 4-byte RMCP header that starts every datagram: version 06, reserved 00, sequence FF ("no ACK"), class.
public enum RMCPHeader {
    public static let length = 4
    public static func bytes(_ messageClass: RMCPClass) -> [UInt8] { [0x06, 0x00, 0xFF, messageClass.rawValue] }

    static func decode(_ reader: inout ByteReader) throws -> RMCPClass {
        try reader.expect(0x06, .unsupportedVersion, "RMCP version")
        try reader.expect(0x00, .invalidField, "RMCP reserved byte")
        try reader.expect(0xFF, .invalidField, "RMCP sequence number (IPMI and ASF messages are never ACKed)")
        let at = reader.offset
        let raw = try reader.readByte()
        guard let messageClass = RMCPClass(rawValue: raw) else {
            throw IPMIDecodingError(.unsupportedClass, at: at, "RMCP class 0x\(hex(raw))")
        }
        return messageClass
    }
}

/// ASF presence ping and pong (RMCP class 06), used by discovery tools such as rmcpping.
public struct ASFMessage: Hashable, Sendable {
    public static let ianaASF: UInt32 = 4542
    public static let presencePing: UInt8 = 0x80
    public static let presencePong: UInt8 = 0x40

    public var messageType: UInt8
    public var tag: UInt8
    public var data: [UInt8]

    public init(messageType: UInt8, tag: UInt8, data: [UInt8] = []) {
        self.messageType = messageType
        self.tag = tag
        self.data = data
    }

    public static func ping(tag: UInt8) -> Self { Self(messageType: presencePing, tag: tag) }

    /// Pong advertising IPMI support, ASF 1.0 and no OEM extensions.
    public static func pong(tag: UInt8) -> Self {
        Self(messageType: presencePong, tag: tag, data: [0x00, 0x00, 0x11, 0xBE, 0, 0, 0, 0, 0x81, 0x00, 0, 0, 0, 0, 0, 0])
    }

    public var supportsIPMI: Bool { messageType == Self.presencePong && data.count >= 9 && data[8] & 0x80 != 0 }

    public func encoded() -> [UInt8] {
        var out = RMCPHeader.bytes(.asf)
        out += [0x00, 0x00, 0x11, 0xBE, messageType, tag, 0x00, UInt8(data.count)]
        out += data
        return out
    }

    static func decode(body reader: inout ByteReader) throws -> Self {
        let at = reader.offset
        let iana = try UInt32(reader.readByte()) << 24 | UInt32(reader.readByte()) << 16
            | UInt32(reader.readByte()) << 8 | UInt32(reader.readByte())
        guard iana == ianaASF else { throw IPMIDecodingError(.invalidField, at: at, "ASF IANA number \(iana)") }
        let messageType = try reader.readByte()
        let tag = try reader.readByte()
        _ = try reader.readByte()
        let length = Int(try reader.readByte())
        let data = try reader.readBytes(length)
        try reader.expectEnd("ASF message")
        return Self(messageType: messageType, tag: tag, data: Array(data))
    }
}

/// RMCP+ payload types (byte 5, bits 5:0).
public enum PayloadType: UInt8, Sendable, Hashable {
    case ipmiMessage = 0x00
    case sol = 0x01
    case openSessionRequest = 0x10
    case openSessionResponse = 0x11
    case rakp1 = 0x12
    case rakp2 = 0x13
    case rakp3 = 0x14
    case rakp4 = 0x15
}

/// A datagram in IPMI 1.5 session framing. Only auth type "none" is spoken: lanplus clients use this framing
/// solely for the sessionless Get Channel Authentication Capabilities exchange.
public struct IPMI15Packet: Hashable, Sendable {
    public var sessionSequence: UInt32
    public var sessionID: UInt32
    public var message: [UInt8]

    public init(sessionSequence: UInt32 = 0, sessionID: UInt32 = 0, message: [UInt8]) {
        self.sessionSequence = sessionSequence
        self.sessionID = sessionID
        self.message = message
    }

    /// Lengths at which some BMCs expect a single legacy pad byte (IPMI 1.5 spec, LAN section).
    static let legacyPadLengths: Set<Int> = [56, 84, 112, 128, 156]

    public func encoded() -> [UInt8] {
        var out = RMCPHeader.bytes(.ipmi)
        out.reserveCapacity(14 + message.count + 1)
        out.append(0x00)
        out.appendLE(sessionSequence)
        out.appendLE(sessionID)
        out.append(UInt8(truncatingIfNeeded: message.count))
        out += message
        if Self.legacyPadLengths.contains(out.count) { out.append(0x00) }
        return out
    }

    static func decode(body reader: inout ByteReader) throws -> Self {
        let at = reader.offset
        let authType = try reader.readByte()
        guard authType == 0x00 else {
            throw IPMIDecodingError(.unsupportedAuthType, at: at, "IPMI 1.5 auth type 0x\(hex(authType)) (only none is accepted)")
        }
        let sequence = try reader.readUInt32LE()
        let sessionID = try reader.readUInt32LE()
        let length = Int(try reader.readByte())
        let message = try reader.readBytes(length)
        // A single trailing legacy pad byte is tolerated.
        if reader.remaining == 1, try reader.readByte() != 0 {
            throw IPMIDecodingError(.lengthMismatch, at: reader.offset - 1, "non-zero legacy pad byte")
        }
        try reader.expectEnd("IPMI 1.5 packet")
        return Self(sessionSequence: sequence, sessionID: sessionID, message: Array(message))
    }
}

/// An RMCP+ (IPMI 2.0) datagram as received: header fields, the still-protected payload and trailer.
/// Integrity and confidentiality are checked by `SessionCrypto.open`, which needs the session's keys.
public struct RMCPPlusPacket: Sendable {
    public static let headerLength = 16

    public var payloadType: PayloadType
    public var isEncrypted: Bool
    public var isAuthenticated: Bool
    public var sessionID: UInt32
    public var sessionSequence: UInt32
    /// The whole datagram, kept so the AuthCode can be checked over the exact bytes received.
    public var datagram: [UInt8]
    /// Payload bytes as sent (IV and ciphertext when encrypted).
    public var payloadRange: Range<Int>

    public var payload: ArraySlice<UInt8> { datagram[payloadRange] }
    /// Everything after the payload: integrity pad, pad length, next header and AuthCode.
    public var trailer: ArraySlice<UInt8> { datagram[payloadRange.upperBound...] }

    static func decode(datagram: [UInt8], body reader: inout ByteReader) throws -> Self {
        try reader.expect(0x06, .unsupportedAuthType, "RMCP+ format")
        let typeOffset = reader.offset
        let typeByte = try reader.readByte()
        guard let payloadType = PayloadType(rawValue: typeByte & 0x3F) else {
            throw IPMIDecodingError(.unsupportedPayloadType, at: typeOffset, "payload type 0x\(hex(typeByte & 0x3F))")
        }
        let sessionID = try reader.readUInt32LE()
        let sequence = try reader.readUInt32LE()
        let length = Int(try reader.readUInt16LE())
        let start = reader.position
        _ = try reader.readBytes(length)
        let packet = Self(
            payloadType: payloadType, isEncrypted: typeByte & 0x80 != 0, isAuthenticated: typeByte & 0x40 != 0,
            sessionID: sessionID, sessionSequence: sequence, datagram: datagram, payloadRange: start..<start + length)
        if !packet.isAuthenticated { try reader.expectEnd("unauthenticated RMCP+ packet") }
        return packet
    }

    /// Builds an unprotected RMCP+ datagram (session set-up payloads and pre-session IPMI messages).
    public static func encodePlain(payloadType: PayloadType, sessionID: UInt32 = 0, sequence: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
        var out = RMCPHeader.bytes(.ipmi)
        out.reserveCapacity(headerLength + payload.count)
        out.append(0x06)
        out.append(payloadType.rawValue)
        out.appendLE(sessionID)
        out.appendLE(sequence)
        out.appendLE(UInt16(truncatingIfNeeded: payload.count))
        out += payload
        return out
    }
}

/// Any datagram a BMC or console may receive, demultiplexed on the RMCP class and the auth type byte.
public enum Datagram: Sendable {
    case asf(ASFMessage)
    case ipmi15(IPMI15Packet)
    case rmcpPlus(RMCPPlusPacket)

    public static func decode(_ bytes: [UInt8]) throws -> Self {
        var reader = ByteReader(bytes)
        switch try RMCPHeader.decode(&reader) {
        case .asf:
            return .asf(try ASFMessage.decode(body: &reader))
        case .ipmi:
            guard reader.remaining > 0 else { throw IPMIDecodingError(.truncated, at: reader.offset, "no session header") }
            if reader.bytes[reader.position] == 0x06 {
                return .rmcpPlus(try RMCPPlusPacket.decode(datagram: bytes, body: &reader))
            }
            return .ipmi15(try IPMI15Packet.decode(body: &reader))
        }
    }
}

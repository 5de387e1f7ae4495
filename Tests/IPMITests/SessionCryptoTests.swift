import IPMI
import Testing

/// The receiving side of per-packet protection (ipmi.md 9.1, 9.2): every trailer and padding rule, with packets
/// built by hand under the captured session keys.
@Suite("Session crypto")
struct SessionCryptoTests {
    static let vectors = ["kat_suite3_ipmitool_ipmisim_power_status.json", "kat_suite17_ipmitool_refbmc_power_status.json"]

    /// An RMCP+ datagram with `body` as payload and a valid AuthCode over whatever trailer fields are given.
    static func protect(_ body: [UInt8], vector: KATVector, sequence: UInt32 = 42, typeByte: UInt8 = 0xC0, padByte: UInt8 = 0xFF,
                        padLength: Int? = nil, padLengthField: UInt8? = nil, nextHeader: UInt8 = 0x07) -> [UInt8] {
        var out: [UInt8] = [0x06, 0x00, 0xFF, 0x07, 0x06, typeByte] + le32(vector.inputs.bmcSessionID) + le32(sequence)
        out += [UInt8(body.count & 0xFF), UInt8(body.count >> 8)] + body
        let pad = padLength ?? (4 - (12 + body.count + 2) % 4) % 4
        out += [UInt8](repeating: padByte, count: pad)
        out += [padLengthField ?? UInt8(pad), nextHeader]
        let mac = KeyExchange(vector.suite.authentication).hmac(key: vector.keys.k1, Array(out[4...]))
        return out + mac.prefix(vector.suite.integrity.authCodeLength)
    }

    static func open(_ datagram: [UInt8], _ vector: KATVector) throws -> [UInt8] {
        guard case .rmcpPlus(let packet) = try Datagram.decode(datagram) else { throw TestFailure("not RMCP+") }
        return try vector.crypto.open(packet)
    }

    /// IV and one ciphertext block that decrypts to `block` (CBC: the first block of a longer sealed message).
    static func encryptBlock(_ block: [UInt8], vector: KATVector) -> [UInt8] {
        precondition(block.count == 16)
        let iv = hx("000102030405060708090a0b0c0d0e0f")
        let sealed = vector.crypto.seal(payloadType: .ipmiMessage, sessionID: 1, sequence: 1, payload: block + [UInt8](repeating: 0xEE, count: 15),
                                        iv: iv)
        return Array(sealed[16..<48])
    }

    @Test("hand-built packets match seal", arguments: vectors)
    func builderMatchesSeal(name: String) throws {
        let vector = try KATVector.load(name)
        for packet in vector.packets where packet.fromConsole {
            #expect(Self.protect(packet.iv + packet.ciphertext, vector: vector, sequence: packet.sequence) == packet.bytes)
        }
    }

    @Test("confidentiality pad and ciphertext length", arguments: vectors)
    func confidentialityChecks(name: String) throws {
        let vector = try KATVector.load(name)
        // A block ending `01 | 01`: pad length 1, pad byte 01: valid, 14 message bytes.
        let good = Array(repeating: UInt8(0x42), count: 14) + [0x01, 0x01]
        #expect(try Self.open(Self.protect(Self.encryptBlock(good, vector: vector), vector: vector), vector) == Array(good.prefix(14)))
        // Pad length 0: the whole block but the last byte.
        let none = Array(repeating: UInt8(0x42), count: 15) + [0x00]
        #expect(try Self.open(Self.protect(Self.encryptBlock(none, vector: vector), vector: vector), vector) == Array(none.prefix(15)))
        // Pad bytes must be exactly 01 02 ... (ipmitool asserts on anything else).
        for block in [Array(repeating: UInt8(0x42), count: 13) + [0x01, 0x03, 0x02],
                      Array(repeating: UInt8(0x42), count: 13) + [0x00, 0x00, 0x02],
                      Array(repeating: UInt8(0x42), count: 13) + [0x02, 0x01, 0x02],
                      Array(repeating: UInt8(0x42), count: 15) + [0x10],
                      Array(repeating: UInt8(0x42), count: 15) + [0xFF]] {
            expectDecodingError(.badConfidentialityPad) {
                try Self.open(Self.protect(Self.encryptBlock(block, vector: vector), vector: vector), vector)
            }
        }
        // IV only, IV plus a partial block, no payload at all.
        let iv = [UInt8](repeating: 7, count: 16)
        expectDecodingError(.badCiphertextLength) { try Self.open(Self.protect(iv, vector: vector), vector) }
        expectDecodingError(.badCiphertextLength) { try Self.open(Self.protect(iv + [UInt8](repeating: 1, count: 20), vector: vector), vector) }
        expectDecodingError(.badCiphertextLength) { try Self.open(Self.protect([], vector: vector), vector) }
    }

    @Test("integrity trailer", arguments: vectors)
    func integrityChecks(name: String) throws {
        let vector = try KATVector.load(name)
        let body = Self.encryptBlock(Array(repeating: UInt8(0x42), count: 15) + [0x00], vector: vector)
        #expect(try Self.open(Self.protect(body, vector: vector), vector).count == 15)
        // Pad bytes other than FF, a wrong next header, a pad length that does not describe the trailer.
        expectDecodingError(.badIntegrityPad) { try Self.open(Self.protect(body, vector: vector, padByte: 0xFE), vector) }
        expectDecodingError(.badIntegrityPad) { try Self.open(Self.protect(body, vector: vector, nextHeader: 0x06), vector) }
        expectDecodingError(.badIntegrityPad) { try Self.open(Self.protect(body, vector: vector, padLengthField: 1), vector) }
        expectDecodingError(.badIntegrityPad) { try Self.open(Self.protect(body, vector: vector, padLengthField: 3), vector) }
        expectDecodingError(.badIntegrityPad) { try Self.open(Self.protect(body, vector: vector, padLength: 6), vector) }
        // Protection bits that do not match the suite.
        expectDecodingError(.unsupportedPayloadType) { try Self.open(Self.protect(body, vector: vector, typeByte: 0x40), vector) }
        // Encrypted but not authenticated: the trailer is then unexpected data.
        expectDecodingError { try Self.open(Self.protect(body, vector: vector, typeByte: 0x80), vector) }
        // A trailer shorter than an AuthCode.
        var short = Self.protect(body, vector: vector)
        short.removeLast(vector.suite.integrity.authCodeLength - 2)
        expectDecodingError { try Self.open(short, vector) }
    }

    @Test func ivLengthAndUnprotectedSuites() throws {
        let vector = try KATVector.load(Self.vectors[0])
        #expect(vector.crypto.ivLength == 16)
        let plain = SessionCrypto(suite: .suite0, keys: vector.keys)
        #expect(plain.ivLength == 0)
        let sealed = plain.seal(payloadType: .ipmiMessage, sessionID: 5, sequence: 6, payload: [1, 2, 3], iv: [])
        #expect(sealed == hx("0600ff07 06 00 05000000 06000000 0300 010203"))
        guard case .rmcpPlus(let packet) = try Datagram.decode(sealed) else { throw TestFailure("not RMCP+") }
        #expect(try plain.open(packet) == [1, 2, 3])
        // A protected packet is not accepted by a suite-0 session, nor the reverse.
        expectDecodingError(.unsupportedPayloadType) { try vector.crypto.open(packet) }
        guard case .rmcpPlus(let protected) = try Datagram.decode(vector.packets[0].bytes) else { throw TestFailure("not RMCP+") }
        expectDecodingError(.unsupportedPayloadType) { try plain.open(protected) }
    }

    @Test func constantTimeCompare() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
    }
}

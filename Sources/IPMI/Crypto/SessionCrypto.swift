import Crypto
import _CryptoExtras
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Per-packet protection of an active RMCP+ session: AES-CBC-128 confidentiality and the HMAC integrity trailer.
///
/// Sending: message → encrypt (IV supplied by the caller's entropy) → header → trailer.
/// Receiving: trailer shape → AuthCode over bytes 4..<next header → decrypt → strip confidentiality pad.
public struct SessionCrypto: Sendable {
    public let suite: CipherSuite
    private let integrityMAC: PreKeyedMAC
    private let confidentialityKey: SymmetricKey?

    public init(suite: CipherSuite, keys: SessionKeys) {
        self.suite = suite
        self.integrityMAC = PreKeyedMAC(suite.integrity, key: keys.k1)
        self.confidentialityKey = suite.confidentiality == .aesCBC128 ? SymmetricKey(data: keys.k2.prefix(16)) : nil
    }

    /// Bytes of entropy `seal` needs for one packet (the AES IV).
    public var ivLength: Int { confidentialityKey == nil ? 0 : 16 }

    /// Builds a protected datagram. `iv` must be `ivLength` fresh random bytes.
    public func seal(payloadType: PayloadType, sessionID: UInt32, sequence: UInt32, payload: [UInt8], iv: [UInt8]) -> [UInt8] {
        var body = payload
        if let key = confidentialityKey {
            precondition(iv.count == 16, "AES-CBC-128 needs a 16-byte IV")
            let padLength = (16 - (payload.count + 1) % 16) % 16
            var plain = payload
            plain.reserveCapacity(payload.count + padLength + 1)
            for pad in 0..<padLength { plain.append(UInt8(pad + 1)) }
            plain.append(UInt8(padLength))
            // Whole blocks, a 16-byte key and a 16-byte IV: AES-CBC cannot fail here.
            let cipherText = try! AES._CBC.encrypt(plain, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true)
            body = iv + Array(cipherText)
        }
        var typeByte = payloadType.rawValue
        if confidentialityKey != nil { typeByte |= 0x80 }
        if suite.integrity != .none { typeByte |= 0x40 }
        var out = RMCPHeader.bytes(.ipmi)
        out.reserveCapacity(RMCPPlusPacket.headerLength + body.count + 4 + suite.integrity.authCodeLength)
        out.append(0x06)
        out.append(typeByte)
        out.appendLE(sessionID)
        out.appendLE(sequence)
        out.appendLE(UInt16(truncatingIfNeeded: body.count))
        out += body
        if suite.integrity != .none {
            let pad = (4 - (12 + body.count + 2) % 4) % 4
            out += repeatElement(0xFF, count: pad)
            out.append(UInt8(pad))
            out.append(0x07)
            out += integrityMAC.authCode(out, from: 4)
        }
        return out
    }

    /// Verifies and decrypts a received packet, returning the plaintext payload.
    public func open(_ packet: RMCPPlusPacket) throws -> [UInt8] {
        let wantsIntegrity = suite.integrity != .none
        guard packet.isAuthenticated == wantsIntegrity, packet.isEncrypted == (confidentialityKey != nil) else {
            throw IPMIDecodingError(.unsupportedPayloadType, at: 5, "protection bits do not match \(suite)")
        }
        let datagram = packet.datagram
        if wantsIntegrity {
            let macLength = suite.integrity.authCodeLength
            let trailer = packet.trailer
            guard trailer.count >= macLength + 2 else {
                throw IPMIDecodingError(.truncated, at: datagram.count, "integrity trailer of \(trailer.count) bytes")
            }
            let nextHeaderIndex = datagram.count - macLength - 1
            guard datagram[nextHeaderIndex] == 0x07 else {
                throw IPMIDecodingError(.badIntegrityPad, at: nextHeaderIndex, "next header 0x\(hex(datagram[nextHeaderIndex]))")
            }
            let padLength = Int(datagram[nextHeaderIndex - 1])
            // 0-3 by the spec; 4 is tolerated because some BMCs pad an already aligned packet by a full word.
            guard padLength <= 4, trailer.count == padLength + 2 + macLength,
                  trailer.prefix(padLength).allSatisfy({ $0 == 0xFF }) else {
                throw IPMIDecodingError(.badIntegrityPad, at: packet.payloadRange.upperBound, "integrity pad")
            }
            let expected = integrityMAC.authCode(datagram[..<(nextHeaderIndex + 1)], from: 4)
            guard constantTimeEquals(expected, datagram[(nextHeaderIndex + 1)...]) else {
                throw IPMIDecodingError(.badAuthCode, at: nextHeaderIndex + 1, "AuthCode does not verify")
            }
        }
        guard let key = confidentialityKey else { return Array(packet.payload) }
        let payload = packet.payload
        guard payload.count >= 32, payload.count % 16 == 0 else {
            throw IPMIDecodingError(.badCiphertextLength, at: packet.payloadRange.lowerBound, "\(payload.count) bytes of IV and ciphertext")
        }
        let ivEnd = payload.startIndex + 16
        let plain: Data
        do {
            plain = try AES._CBC.decrypt(payload[ivEnd...], using: key, iv: AES._CBC.IV(ivBytes: payload[..<ivEnd]), noPadding: true)
        } catch {
            throw IPMIDecodingError(.badCiphertextLength, at: packet.payloadRange.lowerBound, "AES-CBC: \(error)")
        }
        return try plain.withUnsafeBytes { try Self.stripConfidentialityPad($0, at: ivEnd) }
    }

    /// Removes the `01 02 … p | p` trailer of the decrypted payload, requiring exactly that pattern.
    static func stripConfidentialityPad(_ plain: UnsafeRawBufferPointer, at offset: Int) throws -> [UInt8] {
        let padLength = Int(plain[plain.count - 1])
        guard padLength < 16, padLength + 1 <= plain.count else {
            throw IPMIDecodingError(.badConfidentialityPad, at: offset, "pad length \(padLength)")
        }
        let messageLength = plain.count - padLength - 1
        for index in 0..<padLength where plain[messageLength + index] != UInt8(index + 1) {
            throw IPMIDecodingError(.badConfidentialityPad, at: offset + messageLength + index, "pad byte")
        }
        return Array(plain[..<messageLength])
    }
}

/// An HMAC with the key schedule done once per session; each packet copies the keyed state.
private enum PreKeyedMAC: @unchecked Sendable {
    case none
    case sha1(HMAC<Insecure.SHA1>, Int)
    case sha256(HMAC<SHA256>, Int)
    case md5(HMAC<Insecure.MD5>, Int)

    init(_ algorithm: IntegrityAlgorithm, key: [UInt8]) {
        let symmetricKey = SymmetricKey(data: key)
        switch algorithm {
        case .hmacSHA1_96: self = .sha1(HMAC(key: symmetricKey), 12)
        case .hmacSHA256_128: self = .sha256(HMAC(key: symmetricKey), 16)
        case .hmacMD5_128: self = .md5(HMAC(key: symmetricKey), 16)
        case .none, .md5_128: self = .none
        }
    }

    func authCode<C: RandomAccessCollection>(_ bytes: C, from start: C.Index) -> [UInt8] where C.Element == UInt8 {
        bytes.withContiguousStorageIfAvailable { buffer -> [UInt8] in
            let offset = bytes.distance(from: bytes.startIndex, to: start)
            return mac(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[offset...]))
        } ?? mac(UnsafeRawBufferPointer(start: nil, count: 0), fallback: Array(bytes[start...]))
    }

    private func mac(_ buffer: UnsafeRawBufferPointer, fallback: [UInt8]? = nil) -> [UInt8] {
        func run<H>(_ keyed: HMAC<H>, _ length: Int) -> [UInt8] {
            var state = keyed
            if let fallback { state.update(data: fallback) } else { state.update(data: buffer) }
            return state.finalize().withUnsafeBytes { Array($0.prefix(length)) }
        }
        switch self {
        case .none: return []
        case .sha1(let keyed, let length): return run(keyed, length)
        case .sha256(let keyed, let length): return run(keyed, length)
        case .md5(let keyed, let length): return run(keyed, length)
        }
    }
}

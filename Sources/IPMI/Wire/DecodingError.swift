/// The one error every IPMI decoder throws: what was wrong and where in the input.
public struct IPMIDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case truncated
        case lengthMismatch
        case unsupportedVersion
        case unsupportedClass
        case unsupportedAuthType
        case unsupportedPayloadType
        case badChecksum
        case badIntegrityPad
        case badAuthCode
        case badConfidentialityPad
        case badCiphertextLength
        case invalidField
        case unexpectedSession
        case replayed
    }

    public var code: Code
    /// Byte offset in the input where decoding failed.
    public var offset: Int
    public var detail: String

    public init(_ code: Code, at offset: Int, _ detail: String = "") {
        self.code = code
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        detail.isEmpty ? "\(code.rawValue) at byte \(offset)" : "\(code.rawValue) at byte \(offset): \(detail)"
    }
}

/// A bounds-checked cursor over received bytes; every read throws `IPMIDecodingError` instead of trapping.
public struct ByteReader {
    public let bytes: ArraySlice<UInt8>
    public private(set) var position: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    /// Offset from the start of the input, for error reports.
    public var offset: Int { position - bytes.startIndex }
    public var remaining: Int { bytes.endIndex - position }
    public var isAtEnd: Bool { position == bytes.endIndex }

    public mutating func readByte() throws -> UInt8 {
        guard position < bytes.endIndex else { throw IPMIDecodingError(.truncated, at: offset) }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else {
            throw IPMIDecodingError(.truncated, at: offset, "need \(count) bytes, have \(remaining)")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    public mutating func readRest() -> ArraySlice<UInt8> {
        defer { position = bytes.endIndex }
        return bytes[position...]
    }

    public mutating func readUInt16LE() throws -> UInt16 {
        let raw = try readBytes(2)
        return UInt16(raw[raw.startIndex]) | UInt16(raw[raw.startIndex + 1]) << 8
    }

    public mutating func readUInt32LE() throws -> UInt32 {
        let raw = try readBytes(4)
        var value: UInt32 = 0
        for (shift, byte) in zip(stride(from: 0, to: 32, by: 8), raw) { value |= UInt32(byte) << UInt32(shift) }
        return value
    }

    public mutating func expect(_ value: UInt8, _ code: IPMIDecodingError.Code, _ what: String) throws {
        let at = offset
        let got = try readByte()
        guard got == value else { throw IPMIDecodingError(code, at: at, "\(what): expected \(hex(value)), got \(hex(got))") }
    }

    /// Fails unless every byte has been consumed.
    public func expectEnd(_ what: String) throws {
        guard isAtEnd else { throw IPMIDecodingError(.lengthMismatch, at: offset, "\(remaining) unexpected trailing bytes in \(what)") }
    }
}

extension Array where Element == UInt8 {
    @inlinable mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    @inlinable mutating func appendLE(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }
}

func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

/// Lower-case hex of a byte sequence, for logs, errors and tests.
public func hexString<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    bytes.map(hex).joined()
}

/// Parses lower- or upper-case hex (whitespace ignored); nil on anything else.
public func bytes(fromHex text: String) -> [UInt8]? {
    let digits = text.filter { !$0.isWhitespace }
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else { return nil }
        out.append(byte)
        index = next
    }
    return out
}

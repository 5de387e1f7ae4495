/// 2's complement checksum used twice in every IPMI LAN message: `(-sum) & 0xFF`.
@inlinable
public func ipmiChecksum<C: Collection>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
    var sum: UInt8 = 0
    for byte in bytes { sum &+= byte }
    return 0 &- sum
}

/// Addresses fixed by the LAN interface: the BMC's slave address and the remote console software ID.
public enum IPMIAddress {
    public static let bmc: UInt8 = 0x20
    public static let remoteConsole: UInt8 = 0x81
}

/// A request as the application sees it: what to run, without framing.
public struct IPMIRequest: Hashable, Sendable, CustomStringConvertible {
    public var netFn: UInt8
    public var command: UInt8
    public var data: [UInt8]

    public init(netFn: UInt8, command: UInt8, data: [UInt8] = []) {
        self.netFn = netFn
        self.command = command
        self.data = data
    }

    public var description: String { "netFn 0x\(hex(netFn)) cmd 0x\(hex(command)) data [\(hexString(data))]" }
}

/// A response as the application sees it: completion code and data.
public struct IPMIResponse: Hashable, Sendable, CustomStringConvertible {
    public var completionCode: CompletionCode
    public var data: [UInt8]

    public init(completionCode: CompletionCode = .ok, data: [UInt8] = []) {
        self.completionCode = completionCode
        self.data = data
    }

    public static func error(_ code: CompletionCode) -> Self { Self(completionCode: code) }

    public var description: String { "cc \(completionCode) data [\(hexString(data))]" }
}

/// IPMI LAN request message (console to BMC):
/// `rsSA | netFn<<2|rsLUN | chk1 | rqSA | rqSeq<<2|rqLUN | cmd | data | chk2`.
public struct LANRequest: Hashable, Sendable {
    public var responderAddress: UInt8 = IPMIAddress.bmc
    public var netFn: UInt8
    public var responderLUN: UInt8 = 0
    public var requesterAddress: UInt8 = IPMIAddress.remoteConsole
    /// 6-bit request sequence number, echoed by the BMC.
    public var sequence: UInt8
    public var requesterLUN: UInt8 = 0
    public var command: UInt8
    public var data: [UInt8]

    public init(_ request: IPMIRequest, sequence: UInt8) {
        self.netFn = request.netFn
        self.command = request.command
        self.data = request.data
        self.sequence = sequence & 0x3F
    }

    public var request: IPMIRequest { IPMIRequest(netFn: netFn, command: command, data: data) }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(7 + data.count)
        out.append(responderAddress)
        out.append(netFn << 2 | responderLUN & 0x03)
        out.append(ipmiChecksum(out))
        out.append(requesterAddress)
        out.append(sequence << 2 | requesterLUN & 0x03)
        out.append(command)
        out += data
        out.append(ipmiChecksum(out[3...]))
        return out
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Self {
        let fields = try LANFrame.decode(bytes, minimumDataLength: 0)
        var message = Self(IPMIRequest(netFn: fields.netFn, command: fields.command, data: Array(fields.data)), sequence: fields.sequence)
        message.responderAddress = fields.firstAddress
        message.responderLUN = fields.firstLUN
        message.requesterAddress = fields.secondAddress
        message.requesterLUN = fields.secondLUN
        return message
    }

    public static func decode(_ bytes: [UInt8]) throws -> Self { try decode(bytes[...]) }
}

/// IPMI LAN response message (BMC to console): address roles swapped, odd netFn, completion code first.
public struct LANResponse: Hashable, Sendable {
    public var requesterAddress: UInt8 = IPMIAddress.remoteConsole
    /// The response netFn (odd).
    public var netFn: UInt8
    public var requesterLUN: UInt8 = 0
    public var responderAddress: UInt8 = IPMIAddress.bmc
    public var sequence: UInt8
    public var responderLUN: UInt8 = 0
    public var command: UInt8
    public var response: IPMIResponse

    /// The response to `request`, echoing its sequence number, LUNs and addresses.
    public init(answering request: LANRequest, with response: IPMIResponse) {
        self.requesterAddress = request.requesterAddress
        self.netFn = request.netFn | 1
        self.requesterLUN = request.requesterLUN
        self.responderAddress = request.responderAddress
        self.sequence = request.sequence
        self.responderLUN = request.responderLUN
        self.command = request.command
        self.response = response
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + response.data.count)
        out.append(requesterAddress)
        out.append(netFn << 2 | requesterLUN & 0x03)
        out.append(ipmiChecksum(out))
        out.append(responderAddress)
        out.append(sequence << 2 | responderLUN & 0x03)
        out.append(command)
        out.append(response.completionCode.rawValue)
        out += response.data
        out.append(ipmiChecksum(out[3...]))
        return out
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Self {
        let fields = try LANFrame.decode(bytes, minimumDataLength: 1)
        guard fields.netFn & 1 == 1 else {
            throw IPMIDecodingError(.invalidField, at: 1, "response netFn 0x\(hex(fields.netFn)) is even")
        }
        var request = LANRequest(IPMIRequest(netFn: fields.netFn & ~1, command: fields.command), sequence: fields.sequence)
        request.requesterAddress = fields.firstAddress
        request.requesterLUN = fields.firstLUN
        request.responderAddress = fields.secondAddress
        request.responderLUN = fields.secondLUN
        let data = fields.data
        return Self(answering: request, with: IPMIResponse(
            completionCode: CompletionCode(data[data.startIndex]), data: Array(data.dropFirst())))
    }

    public static func decode(_ bytes: [UInt8]) throws -> Self { try decode(bytes[...]) }
}

/// The shared layout of LAN requests and responses, with both checksums verified.
struct LANFrame {
    var firstAddress: UInt8
    var netFn: UInt8
    var firstLUN: UInt8
    var secondAddress: UInt8
    var sequence: UInt8
    var secondLUN: UInt8
    var command: UInt8
    var data: ArraySlice<UInt8>

    static func decode(_ bytes: ArraySlice<UInt8>, minimumDataLength: Int) throws -> Self {
        guard bytes.count >= 7 + minimumDataLength else {
            throw IPMIDecodingError(.truncated, at: bytes.count, "IPMI LAN message of \(bytes.count) bytes")
        }
        let base = bytes.startIndex
        guard ipmiChecksum(bytes[base..<base + 3]) == 0 else {
            throw IPMIDecodingError(.badChecksum, at: 2, "header checksum")
        }
        guard ipmiChecksum(bytes[(base + 3)...]) == 0 else {
            throw IPMIDecodingError(.badChecksum, at: bytes.count - 1, "data checksum")
        }
        return Self(
            firstAddress: bytes[base], netFn: bytes[base + 1] >> 2, firstLUN: bytes[base + 1] & 0x03,
            secondAddress: bytes[base + 3], sequence: bytes[base + 4] >> 2, secondLUN: bytes[base + 4] & 0x03,
            command: bytes[base + 5], data: bytes[(base + 6)..<(bytes.endIndex - 1)])
    }
}

import IPMI

/// One-line descriptions of datagrams for traces. Only what the wire shows in the clear: in-session payloads are
/// sealed, so they are named by session ID and sequence number, which are themselves drawn from the seed.
enum DatagramSummary {
    static func describe(_ bytes: [UInt8]) -> String {
        guard let datagram = try? Datagram.decode(bytes) else { return "malformed \(bytes.count)B" }
        switch datagram {
        case .asf(let message):
            return "asf type 0x\(hex2(message.messageType)) tag \(message.tag)"
        case .ipmi15(let packet):
            return "v1.5 \(lanSummary(packet.message[...]))"
        case .rmcpPlus(let packet):
            return rmcpPlus(packet)
        }
    }

    private static func rmcpPlus(_ packet: RMCPPlusPacket) -> String {
        if packet.isAuthenticated || packet.isEncrypted {
            return "\(packet.payloadType) session 0x\(hex8(packet.sessionID)) seq \(packet.sessionSequence) "
                + "\(packet.datagram.count)B"
        }
        if packet.payloadType == .ipmiMessage { return "pre-session \(lanSummary(packet.payload))" }
        return "\(packet.payloadType) \(packet.datagram.count)B"
    }

    /// netFn, command and rqSeq of a clear LAN message (request or response: the layout agrees on these fields).
    private static func lanSummary(_ message: ArraySlice<UInt8>) -> String {
        guard message.count >= 7 else { return "short LAN message" }
        let base = message.startIndex
        let netFn = message[base + 1] >> 2
        return "netFn 0x\(hex2(netFn)) cmd 0x\(hex2(message[base + 5])) rqSeq \(message[base + 4] >> 2)"
    }

    static func hex2(_ value: UInt8) -> String {
        let digits = String(value, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }

    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

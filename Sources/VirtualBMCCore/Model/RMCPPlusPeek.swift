import IPMI

/// Looks at RMCP+ headers without decoding them. On every datagram the node needs only the payload type of a request
/// and the status byte of a session set-up reply; a full decode would double the work of the session layer.
enum RMCPPlusPeek {
    /// RMCP header (4), then the auth type byte, 06 for RMCP+ framing, then the payload type in bits 5:0.
    private static let authTypeOffset = 4
    private static let payloadTypeOffset = 5
    /// Open Session Response and RAKP 2 and 4 start with a tag byte, then the status.
    private static let statusOffset = RMCPPlusPacket.headerLength + 1

    /// The session set-up step a request is (Open Session, RAKP1 or RAKP3), or nil for anything else.
    static func setupStep(_ datagram: [UInt8]) -> PayloadType? {
        guard datagram.count > payloadTypeOffset, datagram[3] == RMCPClass.ipmi.rawValue,
              datagram[authTypeOffset] == 0x06 else { return nil }
        switch PayloadType(rawValue: datagram[payloadTypeOffset] & 0x3F) {
        case .openSessionRequest: return .openSessionRequest
        case .rakp1: return .rakp1
        case .rakp3: return .rakp3
        default: return nil
        }
    }

    /// The RMCP+ status code of a set-up reply.
    static func setupStatus(_ reply: [UInt8]) -> UInt8? {
        reply.count > statusOffset ? reply[statusOffset] : nil
    }
}

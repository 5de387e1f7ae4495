/// Get Channel Authentication Capabilities (App 0x38): the first message of every client, in IPMI 1.5 framing.
public enum GetChannelAuthenticationCapabilities {
    public static let command: UInt8 = 0x38
    /// "This channel" in channel number fields.
    public static let currentChannel: UInt8 = 0x0E

    public struct Request: Hashable, Sendable {
        public var requestExtendedData: Bool
        public var channel: UInt8
        public var maximumPrivilege: PrivilegeLevel

        public init(requestExtendedData: Bool = true, channel: UInt8 = currentChannel, maximumPrivilege: PrivilegeLevel) {
            self.requestExtendedData = requestExtendedData
            self.channel = channel
            self.maximumPrivilege = maximumPrivilege
        }

        public var ipmiRequest: IPMIRequest {
            IPMIRequest(netFn: NetFn.application, command: command,
                        data: [(requestExtendedData ? 0x80 : 0) | channel & 0x0F, maximumPrivilege.rawValue])
        }

        public init(data: [UInt8]) throws {
            guard data.count == 2 else { throw IPMIDecodingError(.lengthMismatch, at: 0, "Get Channel Auth Caps request of \(data.count) bytes") }
            guard let privilege = PrivilegeLevel(rawValue: data[1] & 0x0F) else {
                throw IPMIDecodingError(.invalidField, at: 1, "privilege 0x\(hex(data[1]))")
            }
            self.init(requestExtendedData: data[0] & 0x80 != 0, channel: data[0] & 0x0F, maximumPrivilege: privilege)
        }
    }

    public struct Response: Hashable, Sendable {
        public var channel: UInt8
        /// bit 7: IPMI v2.0 extended capabilities; bits 5..0: IPMI 1.5 auth types.
        public var authTypeSupport: UInt8
        /// bit 5: Kg set; bit 4: per-message auth disabled; bit 3: user-level auth disabled; bits 2..0: user kinds.
        public var authStatus: UInt8
        /// bit 1: IPMI 2.0 connections; bit 0: IPMI 1.5 connections.
        public var extendedCapabilities: UInt8
        public var oemID: UInt32 = 0
        public var oemAuxiliary: UInt8 = 0

        public init(channel: UInt8, authTypeSupport: UInt8, authStatus: UInt8, extendedCapabilities: UInt8) {
            self.channel = channel
            self.authTypeSupport = authTypeSupport
            self.authStatus = authStatus
            self.extendedCapabilities = extendedCapabilities
        }

        public var supportsRMCPPlus: Bool { authTypeSupport & 0x80 != 0 && extendedCapabilities & 0x02 != 0 }
        public var kgIsSet: Bool { authStatus & 0x20 != 0 }

        public var data: [UInt8] {
            [channel, authTypeSupport, authStatus, extendedCapabilities,
             UInt8(truncatingIfNeeded: oemID), UInt8(truncatingIfNeeded: oemID >> 8), UInt8(truncatingIfNeeded: oemID >> 16), oemAuxiliary]
        }

        public init(data: [UInt8]) throws {
            guard data.count >= 8 else { throw IPMIDecodingError(.truncated, at: data.count, "Get Channel Auth Caps response") }
            self.init(channel: data[0], authTypeSupport: data[1], authStatus: data[2], extendedCapabilities: data[3])
            oemID = UInt32(data[4]) | UInt32(data[5]) << 8 | UInt32(data[6]) << 16
            oemAuxiliary = data[7]
        }
    }
}

/// Get Channel Cipher Suites (App 0x54), paged 16 record bytes at a time.
public enum GetChannelCipherSuites {
    public static let command: UInt8 = 0x54

    public struct Request: Hashable, Sendable {
        public var channel: UInt8
        public var payloadType: UInt8
        public var listIndex: UInt8

        public init(channel: UInt8 = GetChannelAuthenticationCapabilities.currentChannel, payloadType: UInt8 = 0, listIndex: UInt8) {
            self.channel = channel
            self.payloadType = payloadType
            self.listIndex = listIndex
        }

        /// Always asks for the list by cipher suite (bit 7), as ipmitool does.
        public var ipmiRequest: IPMIRequest {
            IPMIRequest(netFn: NetFn.application, command: command, data: [channel & 0x0F, payloadType, 0x80 | listIndex & 0x3F])
        }

        public init(data: [UInt8]) throws {
            guard data.count == 3 else { throw IPMIDecodingError(.lengthMismatch, at: 0, "Get Channel Cipher Suites request of \(data.count) bytes") }
            self.init(channel: data[0] & 0x0F, payloadType: data[1], listIndex: data[2] & 0x3F)
        }
    }

    /// The record bytes for a list of suites: `C0 id auth 40|integ 80|conf` each.
    public static func records(for suites: [CipherSuite]) -> [UInt8] {
        suites.flatMap { [0xC0, $0.id, $0.authentication.rawValue, 0x40 | $0.integrity.rawValue, 0x80 | $0.confidentiality.rawValue] }
    }

    /// Cipher suite IDs found in concatenated record data; tolerant of OEM records (`C1 id iana×3 algs…`).
    public static func suiteIDs(in records: [UInt8]) -> [UInt8] {
        var ids: [UInt8] = []
        var index = 0
        while index + 1 < records.count {
            switch records[index] {
            case 0xC0: ids.append(records[index + 1]); index += 2
            case 0xC1: ids.append(records[index + 1]); index += 5
            default: index += 1  // algorithm bytes of the current record
            }
        }
        return ids
    }
}

/// Set Session Privilege Level (App 0x3B).
public enum SetSessionPrivilegeLevel {
    public static let command: UInt8 = 0x3B
    public static func request(_ level: PrivilegeLevel) -> IPMIRequest {
        IPMIRequest(netFn: NetFn.application, command: command, data: [level.rawValue])
    }
    /// Command-specific completion codes.
    public static let levelNotAvailable = CompletionCode(0x80)
    public static let levelExceedsLimit = CompletionCode(0x81)
}

/// Close Session (App 0x3C): data is the BMC's session ID.
public enum CloseSession {
    public static let command: UInt8 = 0x3C
    public static let invalidSessionID = CompletionCode(0x87)
    public static func request(bmcSessionID: UInt32) -> IPMIRequest {
        var data: [UInt8] = []
        data.appendLE(bmcSessionID)
        return IPMIRequest(netFn: NetFn.application, command: command, data: data)
    }
    public static func sessionID(in data: [UInt8]) throws -> UInt32 {
        guard data.count >= 4 else { throw IPMIDecodingError(.truncated, at: data.count, "Close Session request") }
        var reader = ByteReader(data)
        return try reader.readUInt32LE()
    }
}

/// Get Device ID (App 0x01); also the keep-alive of idle sessions.
public enum GetDeviceID {
    public static let command: UInt8 = 0x01
    public static var request: IPMIRequest { IPMIRequest(netFn: NetFn.application, command: command) }

    public struct Response: Hashable, Sendable {
        public var deviceID: UInt8
        public var deviceRevision: UInt8
        public var firmwareMajor: UInt8
        /// BCD, e.g. 0x08 for .08.
        public var firmwareMinor: UInt8
        /// BCD, low nibble major: 0x02 = IPMI 2.0.
        public var ipmiVersion: UInt8
        public var additionalDeviceSupport: UInt8
        /// 20-bit IANA enterprise number.
        public var manufacturerID: UInt32
        public var productID: UInt16
        public var auxiliaryFirmwareRevision: [UInt8]

        public init(deviceID: UInt8 = 0x20, deviceRevision: UInt8 = 0x01, firmwareMajor: UInt8 = 1, firmwareMinor: UInt8 = 0,
                    ipmiVersion: UInt8 = 0x02, additionalDeviceSupport: UInt8 = 0x80, manufacturerID: UInt32 = 0,
                    productID: UInt16 = 0, auxiliaryFirmwareRevision: [UInt8] = []) {
            self.deviceID = deviceID
            self.deviceRevision = deviceRevision
            self.firmwareMajor = firmwareMajor
            self.firmwareMinor = firmwareMinor
            self.ipmiVersion = ipmiVersion
            self.additionalDeviceSupport = additionalDeviceSupport
            self.manufacturerID = manufacturerID
            self.productID = productID
            self.auxiliaryFirmwareRevision = auxiliaryFirmwareRevision
        }

        public var data: [UInt8] {
            [deviceID, deviceRevision, firmwareMajor & 0x7F, firmwareMinor, ipmiVersion, additionalDeviceSupport,
             UInt8(truncatingIfNeeded: manufacturerID), UInt8(truncatingIfNeeded: manufacturerID >> 8),
             UInt8(truncatingIfNeeded: manufacturerID >> 16) & 0x0F,
             UInt8(truncatingIfNeeded: productID), UInt8(truncatingIfNeeded: productID >> 8)] + auxiliaryFirmwareRevision
        }

        public init(data: [UInt8]) throws {
            guard data.count >= 11 else { throw IPMIDecodingError(.truncated, at: data.count, "Get Device ID response") }
            self.init(deviceID: data[0], deviceRevision: data[1], firmwareMajor: data[2] & 0x7F, firmwareMinor: data[3],
                      ipmiVersion: data[4], additionalDeviceSupport: data[5],
                      manufacturerID: UInt32(data[6]) | UInt32(data[7]) << 8 | UInt32(data[8] & 0x0F) << 16,
                      productID: UInt16(data[9]) | UInt16(data[10]) << 8, auxiliaryFirmwareRevision: Array(data.dropFirst(11).prefix(4)))
        }
    }
}

/// Get System GUID (App 0x37): 16 bytes, the same ones a BMC feeds into RAKP2 and RAKP4.
public enum GetSystemGUID {
    public static let command: UInt8 = 0x37
    public static var request: IPMIRequest { IPMIRequest(netFn: NetFn.application, command: command) }
    public static func guid(in data: [UInt8]) throws -> [UInt8] {
        guard data.count >= 16 else { throw IPMIDecodingError(.truncated, at: data.count, "Get System GUID response") }
        return Array(data.prefix(16))
    }
}

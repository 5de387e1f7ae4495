/// Get Chassis Status (Chassis 0x01).
public enum GetChassisStatus {
    public static let command: UInt8 = 0x01
    public static var request: IPMIRequest { IPMIRequest(netFn: NetFn.chassis, command: command) }

    /// Chassis power restore policy (byte 1, bits 6:5).
    public enum RestorePolicy: UInt8, Sendable, Hashable {
        case alwaysOff = 0, previous = 1, alwaysOn = 2, unknown = 3
    }

    public struct Response: Hashable, Sendable {
        public var powerOn: Bool
        public var powerOverload = false
        public var interlock = false
        public var powerFault = false
        public var powerControlFault = false
        public var restorePolicy: RestorePolicy = .alwaysOff
        /// Byte 2: last power event (bit 4 = last power on was by IPMI command).
        public var lastPowerEvent: UInt8 = 0
        /// Byte 3: miscellaneous chassis state.
        public var miscellaneous: UInt8 = 0
        /// Byte 4 is optional: front panel button capabilities.
        public var frontPanel: UInt8?

        public init(powerOn: Bool) { self.powerOn = powerOn }

        public var data: [UInt8] {
            var current: UInt8 = powerOn ? 0x01 : 0
            if powerOverload { current |= 0x02 }
            if interlock { current |= 0x04 }
            if powerFault { current |= 0x08 }
            if powerControlFault { current |= 0x10 }
            current |= restorePolicy.rawValue << 5
            return [current, lastPowerEvent, miscellaneous] + (frontPanel.map { [$0] } ?? [])
        }

        public init(data: [UInt8]) throws {
            guard data.count >= 3 else { throw IPMIDecodingError(.truncated, at: data.count, "Get Chassis Status response") }
            let current = data[0]
            self.init(powerOn: current & 0x01 != 0)
            powerOverload = current & 0x02 != 0
            interlock = current & 0x04 != 0
            powerFault = current & 0x08 != 0
            powerControlFault = current & 0x10 != 0
            restorePolicy = RestorePolicy(rawValue: (current >> 5) & 0x03) ?? .unknown
            lastPowerEvent = data[1]
            miscellaneous = data[2]
            frontPanel = data.count > 3 ? data[3] : nil
        }
    }
}

/// Chassis Control (Chassis 0x02).
public enum ChassisControl: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case powerDown = 0
    case powerUp = 1
    case powerCycle = 2
    case hardReset = 3
    case pulseDiagnosticInterrupt = 4
    case softShutdown = 5

    public static let command: UInt8 = 0x02

    public var request: IPMIRequest { IPMIRequest(netFn: NetFn.chassis, command: Self.command, data: [rawValue]) }

    public init(data: [UInt8]) throws {
        guard data.count == 1 else { throw IPMIDecodingError(.lengthMismatch, at: 0, "Chassis Control request of \(data.count) bytes") }
        guard let action = Self(rawValue: data[0] & 0x0F) else {
            throw IPMIDecodingError(.invalidField, at: 0, "chassis control 0x\(hex(data[0]))")
        }
        self = action
    }

    public var description: String {
        switch self {
        case .powerDown: "power down"
        case .powerUp: "power up"
        case .powerCycle: "power cycle"
        case .hardReset: "hard reset"
        case .pulseDiagnosticInterrupt: "pulse diagnostic interrupt"
        case .softShutdown: "soft shutdown"
        }
    }
}

/// Boot device selector of the boot flags parameter (byte 2, bits 5:2).
public enum BootDevice: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case noOverride = 0x00
    case pxe = 0x01
    case disk = 0x02
    case diskSafeMode = 0x03
    case diagnosticPartition = 0x04
    case cdrom = 0x05
    case biosSetup = 0x06
    case floppy = 0x0F

    public init?(name: String) {
        switch name.lowercased() {
        case "none": self = .noOverride
        case "pxe": self = .pxe
        case "disk": self = .disk
        case "safe": self = .diskSafeMode
        case "diag": self = .diagnosticPartition
        case "cdrom": self = .cdrom
        case "bios": self = .biosSetup
        case "floppy": self = .floppy
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .noOverride: "none"
        case .pxe: "pxe"
        case .disk: "disk"
        case .diskSafeMode: "safe"
        case .diagnosticPartition: "diag"
        case .cdrom: "cdrom"
        case .biosSetup: "bios"
        case .floppy: "floppy"
        }
    }
}

/// Boot flags, System Boot Options parameter 5 (5 data bytes).
public struct BootFlags: Hashable, Sendable {
    public static let parameter: UInt8 = 5

    public var valid: Bool
    /// Applies to all future boots rather than the next one only.
    public var persistent: Bool
    public var efi: Bool
    public var device: BootDevice
    /// Data bytes 3-5 are kept as received.
    public var remaining: [UInt8]

    public init(device: BootDevice, persistent: Bool = false, efi: Bool = false, valid: Bool = true) {
        self.valid = valid
        self.persistent = persistent
        self.efi = efi
        self.device = device
        self.remaining = [0, 0, 0]
    }

    public var data: [UInt8] {
        var first: UInt8 = valid ? 0x80 : 0
        if persistent { first |= 0x40 }
        if efi { first |= 0x20 }
        return [first, device.rawValue << 2] + remaining
    }

    public init(data: ArraySlice<UInt8>) throws {
        guard data.count == 5 else { throw IPMIDecodingError(.lengthMismatch, at: 0, "boot flags need 5 bytes, got \(data.count)") }
        let base = data.startIndex
        guard let device = BootDevice(rawValue: (data[base + 1] >> 2) & 0x0F) else {
            throw IPMIDecodingError(.invalidField, at: 1, "boot device selector 0x\(hex((data[base + 1] >> 2) & 0x0F))")
        }
        self.init(device: device, persistent: data[base] & 0x40 != 0, efi: data[base] & 0x20 != 0, valid: data[base] & 0x80 != 0)
        remaining = Array(data[(base + 2)...])
    }
}

/// Set System Boot Options (Chassis 0x08) and Get System Boot Options (Chassis 0x09).
public enum SystemBootOptions {
    public static let setCommand: UInt8 = 0x08
    public static let getCommand: UInt8 = 0x09
    public static let setInProgressParameter: UInt8 = 0
    public static let bootInfoAcknowledgeParameter: UInt8 = 4
    public static let parameterNotSupported = CompletionCode(0x80)

    public static func setRequest(parameter: UInt8, data: [UInt8]) -> IPMIRequest {
        IPMIRequest(netFn: NetFn.chassis, command: setCommand, data: [parameter & 0x7F] + data)
    }

    public static func setBootFlags(_ flags: BootFlags) -> IPMIRequest { setRequest(parameter: BootFlags.parameter, data: flags.data) }

    public static func getRequest(parameter: UInt8) -> IPMIRequest {
        IPMIRequest(netFn: NetFn.chassis, command: getCommand, data: [parameter & 0x7F, 0, 0])
    }

    /// Response data of Get System Boot Options: parameter version 01, selector, parameter data.
    public static func getResponseData(parameter: UInt8, data: [UInt8]) -> [UInt8] { [0x01, parameter & 0x7F] + data }

    /// Parses a Get System Boot Options response carrying boot flags.
    public static func bootFlags(inGetResponse data: [UInt8]) throws -> BootFlags {
        guard data.count >= 2 else { throw IPMIDecodingError(.truncated, at: data.count, "Get System Boot Options response") }
        guard data[1] & 0x7F == BootFlags.parameter else {
            throw IPMIDecodingError(.invalidField, at: 1, "parameter \(data[1] & 0x7F) is not boot flags")
        }
        return try BootFlags(data: data[2...])
    }
}

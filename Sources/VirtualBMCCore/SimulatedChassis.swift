import IPMI

/// The simulated machine behind one virtual BMC: power and boot device. Pure; transitions are immediate here
/// (delays and faults come with the fleet).
public struct SimulatedChassis: Sendable, Hashable {
    public var powerOn: Bool
    public var bootFlags: BootFlags
    public var deviceID: GetDeviceID.Response
    public var guid: [UInt8]
    /// Last power event byte of Get Chassis Status; bit 4 = last power on was by IPMI command.
    public var lastPowerEvent: UInt8 = 0
    /// How many resets, cycles and NMIs were performed, for tests and the management API.
    public private(set) var resets = 0
    public private(set) var cycles = 0
    public private(set) var diagnosticInterrupts = 0
    /// The last `historyLimit` Chassis Control actions executed, oldest first: a retransmitted request must not
    /// show up twice here.
    public private(set) var controlHistory: [ChassisControl] = []
    public static let historyLimit = 64
    /// Set In Progress (boot options parameter 0): 0 complete, 1 in progress.
    private var bootSetInProgress: UInt8 = 0

    public init(powerOn: Bool = false, guid: [UInt8],
                deviceID: GetDeviceID.Response = GetDeviceID.Response(firmwareMajor: 1, firmwareMinor: 0x02,
                                                                      manufacturerID: 0, productID: 0x4645)) {
        self.powerOn = powerOn
        self.guid = guid
        self.deviceID = deviceID
        self.bootFlags = BootFlags(device: .noOverride, valid: false)
    }

    /// Answers the application-level commands the BMC session layer dispatched.
    public mutating func handle(_ request: IPMIRequest) -> IPMIResponse {
        switch (request.netFn, request.command) {
        case (NetFn.application, GetDeviceID.command):
            return IPMIResponse(data: deviceID.data)
        case (NetFn.application, GetSystemGUID.command):
            return IPMIResponse(data: guid)
        case (NetFn.chassis, GetChassisStatus.command):
            var status = GetChassisStatus.Response(powerOn: powerOn)
            status.lastPowerEvent = lastPowerEvent
            return IPMIResponse(data: status.data)
        case (NetFn.chassis, ChassisControl.command):
            guard let action = try? ChassisControl(data: request.data) else { return .error(.invalidDataField) }
            return control(action)
        case (NetFn.chassis, SystemBootOptions.setCommand):
            return setBootOption(request.data)
        case (NetFn.chassis, SystemBootOptions.getCommand):
            return getBootOption(request.data)
        default:
            return .error(.invalidCommand)
        }
    }

    public mutating func control(_ action: ChassisControl) -> IPMIResponse {
        switch action {
        case .powerUp:
            if !powerOn { lastPowerEvent = 0x10 }
            powerOn = true
        case .powerDown, .softShutdown:
            powerOn = false
        case .powerCycle:
            // Real BMCs differ when the chassis is off; refusing is the one that never surprises an operator.
            guard powerOn else { return .error(.notSupportedInPresentState) }
            cycles += 1
            lastPowerEvent = 0x10
        case .hardReset:
            guard powerOn else { return .error(.notSupportedInPresentState) }
            resets += 1
        case .pulseDiagnosticInterrupt:
            guard powerOn else { return .error(.notSupportedInPresentState) }
            diagnosticInterrupts += 1
        }
        controlHistory.append(action)
        if controlHistory.count > Self.historyLimit { controlHistory.removeFirst() }
        if powerOn, !bootFlags.persistent, action == .powerUp || action == .powerCycle || action == .hardReset {
            consumeOneTimeBootDevice()
        }
        return IPMIResponse()
    }

    /// A one-time boot override applies to the next boot only.
    private mutating func consumeOneTimeBootDevice() {
        guard bootFlags.valid, !bootFlags.persistent else { return }
        bootFlags.valid = false
    }

    private mutating func setBootOption(_ data: [UInt8]) -> IPMIResponse {
        guard let selector = data.first else { return .error(.requestDataLengthInvalid) }
        let parameterData = data.dropFirst()
        switch selector & 0x7F {
        case SystemBootOptions.setInProgressParameter:
            guard parameterData.count == 1 else { return .error(.requestDataLengthInvalid) }
            let value = parameterData[parameterData.startIndex] & 0x03
            guard value != 0x01 || bootSetInProgress == 0 else { return .error(CompletionCode(0x81)) }
            bootSetInProgress = value == 0x02 ? bootSetInProgress : value
            return IPMIResponse()
        case SystemBootOptions.bootInfoAcknowledgeParameter:
            guard parameterData.count == 2 else { return .error(.requestDataLengthInvalid) }
            return IPMIResponse()
        case BootFlags.parameter:
            guard let flags = try? BootFlags(data: parameterData) else { return .error(.invalidDataField) }
            bootFlags = flags
            return IPMIResponse()
        default:
            return .error(SystemBootOptions.parameterNotSupported)
        }
    }

    private func getBootOption(_ data: [UInt8]) -> IPMIResponse {
        guard data.count == 3 else { return .error(.requestDataLengthInvalid) }
        switch data[0] & 0x7F {
        case SystemBootOptions.setInProgressParameter:
            return IPMIResponse(data: SystemBootOptions.getResponseData(parameter: 0, data: [bootSetInProgress]))
        case BootFlags.parameter:
            return IPMIResponse(data: SystemBootOptions.getResponseData(parameter: BootFlags.parameter, data: bootFlags.data))
        default:
            return .error(SystemBootOptions.parameterNotSupported)
        }
    }
}

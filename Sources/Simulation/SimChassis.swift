import IPMI

/// The application behind a simulated BMC: just enough chassis to check that commands arrive once and answers are
/// right. Power changes take effect at once; slow transitions belong to the VirtualBMC chassis model.
public struct SimChassis: Sendable {
    public var powerOn: Bool
    public var guid: [UInt8]
    public var deviceID: GetDeviceID.Response
    /// Every Chassis Control action executed, in order: non-idempotent actions must appear once per request.
    public private(set) var controlHistory: [ChassisControl] = []

    public init(powerOn: Bool = false, guid: [UInt8], deviceID: GetDeviceID.Response = GetDeviceID.Response()) {
        self.powerOn = powerOn
        self.guid = guid
        self.deviceID = deviceID
    }

    /// Runs one request the BMC dispatched and returns the answer.
    public mutating func respond(to request: IPMIRequest) -> IPMIResponse {
        switch (request.netFn, request.command) {
        case (NetFn.chassis, GetChassisStatus.command):
            return IPMIResponse(data: GetChassisStatus.Response(powerOn: powerOn).data)
        case (NetFn.chassis, ChassisControl.command):
            guard let action = try? ChassisControl(data: request.data) else { return .error(.invalidDataField) }
            return control(action)
        case (NetFn.application, GetDeviceID.command):
            return IPMIResponse(data: deviceID.data)
        case (NetFn.application, GetSystemGUID.command):
            return IPMIResponse(data: guid)
        default:
            return .error(.invalidCommand)
        }
    }

    private mutating func control(_ action: ChassisControl) -> IPMIResponse {
        switch action {
        case .powerDown, .softShutdown:
            powerOn = false
        case .powerUp:
            powerOn = true
        case .powerCycle, .hardReset:
            // Many BMCs refuse to cycle or reset a chassis that is off (ipmitool documents D5 for it).
            guard powerOn else { return .error(.notSupportedInPresentState) }
        case .pulseDiagnosticInterrupt:
            break
        }
        controlHistory.append(action)
        return IPMIResponse()
    }
}

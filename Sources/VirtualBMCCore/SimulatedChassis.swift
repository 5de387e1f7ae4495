import IPMI

/// The simulated machine behind one virtual BMC: power, boot device and the time power changes take.
///
/// Pure: time is a `Duration` since the caller's epoch. `handle(_:now:)` and `advance(to:)` move the chassis clock
/// forward; `handle(_:)` runs at the last instant seen, so with zero `timings` (the default) every transition is
/// immediate, which is what the back-to-back simulation harness relies on.
///
/// Commands during a transition (real BMCs differ: some queue, some refuse; this model picks the rules a
/// controller can rely on):
/// - repeating what is under way (power up while powering on, soft shutdown during a soft shutdown) is accepted and
///   changes nothing;
/// - power up and power down always win: they retarget the chassis, taking `powerTransition` from now, or cancel the
///   transition if the chassis has not yet left the requested state (power up during a soft shutdown);
/// - power cycle, hard reset, diagnostic interrupt and soft shutdown need a settled chassis and get completion code
///   D5 (not supported in present state) while anything else is pending, as cycle, reset and NMI do when off.
public struct SimulatedChassis: Sendable, Hashable {
    /// The actual power state. Setting it is an immediate out-of-band change at the chassis clock that cancels any
    /// pending transition; `pressPowerButton(now:)` is the timed variant.
    public var powerOn: Bool {
        get { power }
        set {
            pending = nil
            setPower(newValue, at: now, byCommand: false)
        }
    }
    public var bootFlags: BootFlags
    public var deviceID: GetDeviceID.Response
    public var guid: [UInt8]
    public var timings: ChassisTimings
    /// The latest instant the chassis has seen.
    public private(set) var now: Duration
    /// The power change under way, if any.
    public private(set) var pending: PowerTransition?
    /// Last power event byte of Get Chassis Status; bit 4 = last power on was by IPMI command.
    public var lastPowerEvent: UInt8 = 0
    /// How many resets, cycles, NMIs and button presses were performed, for tests and the management API.
    public private(set) var resets = 0
    public private(set) var cycles = 0
    public private(set) var diagnosticInterrupts = 0
    public private(set) var buttonPresses = 0
    /// The last `historyLimit` Chassis Control actions accepted, oldest first: a retransmitted request must not
    /// show up twice here (the session layer answers it from its cache).
    public private(set) var controlHistory: [ChassisControl] = []
    public static let historyLimit = 64
    private var power: Bool
    private var powerHistory = PowerHistory()
    /// Set In Progress (boot options parameter 0): 0 complete, 1 in progress.
    private var bootSetInProgress: UInt8 = 0

    public init(powerOn: Bool = false, guid: [UInt8],
                deviceID: GetDeviceID.Response = GetDeviceID.Response(firmwareMajor: 1, firmwareMinor: 0x02,
                                                                      manufacturerID: 0, productID: 0x4645),
                timings: ChassisTimings = ChassisTimings(), now: Duration = .zero) {
        self.power = powerOn
        self.guid = guid
        self.deviceID = deviceID
        self.timings = timings
        self.now = now
        self.bootFlags = BootFlags(device: .noOverride, valid: false)
    }

    /// The power changes kept for stale status, oldest first (bounded).
    public var recentPowerChanges: [PowerChange] { powerHistory.changes }

    /// The power state as it was at `instant` (for a stale status report), from the bounded change history.
    public func powerOn(at instant: Duration) -> Bool {
        powerHistory.state(at: instant, current: power)
    }

    // MARK: Commands

    /// Answers the application-level commands the BMC session layer dispatched, at the chassis clock.
    public mutating func handle(_ request: IPMIRequest) -> IPMIResponse {
        handle(request, now: now)
    }

    public mutating func handle(_ request: IPMIRequest, now instant: Duration) -> IPMIResponse {
        advance(to: instant)
        switch (request.netFn, request.command) {
        case (NetFn.application, GetDeviceID.command):
            return IPMIResponse(data: deviceID.data)
        case (NetFn.application, GetSystemGUID.command):
            return IPMIResponse(data: guid)
        case (NetFn.chassis, GetChassisStatus.command):
            return status(reporting: power)
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

    /// Get Chassis Status as it would have been answered at `instant`: the stale-status fault.
    public func status(asOf instant: Duration) -> IPMIResponse {
        status(reporting: powerOn(at: instant))
    }

    private func status(reporting powerOn: Bool) -> IPMIResponse {
        var status = GetChassisStatus.Response(powerOn: powerOn)
        status.lastPowerEvent = lastPowerEvent
        return IPMIResponse(data: status.data)
    }

    public mutating func control(_ action: ChassisControl) -> IPMIResponse {
        control(action, now: now)
    }

    /// Runs one Chassis Control action; see the type's documentation for actions during a transition.
    public mutating func control(_ action: ChassisControl, now instant: Duration) -> IPMIResponse {
        advance(to: instant)
        if let pending, pending.repeats(action) {
            remember(action)
            return IPMIResponse()
        }
        switch action {
        case .powerUp:
            retarget(to: true, kind: .powerOn, byCommand: true)
        case .powerDown:
            retarget(to: false, kind: .powerOff, byCommand: true)
        case .softShutdown:
            guard pending == nil else { return .error(.notSupportedInPresentState) }
            // A hung OS never acts on the ACPI request: the BMC accepted it and nothing happens.
            if power, !timings.osHung {
                pending = PowerTransition(kind: .softShutdown, nextChange: now + timings.softShutdown, nextState: false,
                                          byCommand: true)
            }
        case .powerCycle:
            // IPMI v2.0 §28.3 recommends D5 and no action when the chassis is off.
            guard pending == nil, power else { return .error(.notSupportedInPresentState) }
            cycles += 1
            let off = now + timings.powerTransition
            pending = PowerTransition(kind: .powerCycle, nextChange: off, nextState: false,
                                      thenOnAt: off + timings.cycleOffTime + timings.powerTransition, byCommand: true)
        case .hardReset:
            guard pending == nil, power else { return .error(.notSupportedInPresentState) }
            resets += 1
            consumeOneTimeBootDevice()
        case .pulseDiagnosticInterrupt:
            guard pending == nil, power else { return .error(.notSupportedInPresentState) }
            diagnosticInterrupts += 1
        }
        remember(action)
        advance(to: now)  // zero-length transitions complete at once
        return IPMIResponse()
    }

    // MARK: Time and out-of-band events

    /// Completes every transition step due by `instant`, each at its own due time.
    public mutating func advance(to instant: Duration) {
        if instant > now { now = instant }
        while let step = pending, step.nextChange <= now {
            setPower(step.nextState, at: step.nextChange, byCommand: step.byCommand)
            if let on = step.thenOnAt {
                pending = PowerTransition(kind: step.kind, nextChange: on, nextState: true, byCommand: step.byCommand)
            } else {
                pending = nil
            }
        }
    }

    /// The front-panel button: toggles where the chassis is heading, taking `powerTransition` like a command but
    /// out of band, so only a controller's periodic status sync can notice it.
    public mutating func pressPowerButton(now instant: Duration) {
        advance(to: instant)
        buttonPresses += 1
        retarget(to: !(pending?.finalState ?? power), kind: .powerButton, byCommand: false)
        advance(to: now)
    }

    /// An immediate out-of-band flip at `instant` (flapping power): cancels whatever was under way.
    public mutating func flipPower(at instant: Duration) {
        advance(to: instant)
        pending = nil
        setPower(!power, at: now, byCommand: false)
    }

    /// Heads for `target`: cancels the transition if the chassis is still there, else starts one that ends
    /// `powerTransition` from now (or sooner, if what was pending would have got there first).
    private mutating func retarget(to target: Bool, kind: PowerTransition.Kind, byCommand: Bool) {
        guard target != power else {
            pending = nil
            return
        }
        var due = now + timings.powerTransition
        if let pending, pending.nextState == target, pending.nextChange < due { due = pending.nextChange }
        pending = PowerTransition(kind: kind, nextChange: due, nextState: target, byCommand: byCommand)
    }

    private mutating func setPower(_ on: Bool, at instant: Duration, byCommand: Bool) {
        guard on != power else { return }
        power = on
        powerHistory.record(on, at: instant)
        if on {
            lastPowerEvent = byCommand ? 0x10 : 0
            consumeOneTimeBootDevice()
        }
    }

    private mutating func remember(_ action: ChassisControl) {
        if controlHistory.count >= Self.historyLimit { controlHistory.removeFirst() }
        controlHistory.append(action)
    }

    // MARK: Boot options

    /// A one-time boot override applies to the next boot only: any power on or reset.
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

/// A recorded or read power state, with Ironic's stored strings. Unknown (Ironic's NOSTATE) is `nil` in a
/// `PowerState?`, so the type cannot hold a transitional request: Ironic's `power_state` never does either.
public enum PowerState: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case powerOn = "power on"
    case powerOff = "power off"
    /// Returned by a driver that could not interpret the BMC's answer; can end up stored after max retries (M2).
    case error = "error"

    public var description: String { rawValue }
}

/// What a user (or the sync, when forcing) asks for: Ironic's five request strings. Kept apart from `PowerState`
/// because `rebooting` and the soft requests are never a state a node rests in.
public enum PowerAction: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case powerOn = "power on"
    case powerOff = "power off"
    case rebooting = "rebooting"
    case softPowerOff = "soft power off"
    case softRebooting = "soft rebooting"

    /// Ironic's `_calculate_target_state`: what `target_power_state` holds while the action runs and what
    /// `power_state` becomes when it succeeds.
    public var targetState: PowerState {
        switch self {
        case .powerOn, .rebooting, .softRebooting: .powerOn
        case .powerOff, .softPowerOff: .powerOff
        }
    }

    /// The request that drives hardware back to a recorded state (sync with force=true, D7).
    public init?(restoring state: PowerState) {
        switch state {
        case .powerOn: self = .powerOn
        case .powerOff: self = .powerOff
        case .error: return nil
        }
    }

    public var isSoft: Bool { self == .softPowerOff || self == .softRebooting }

    public var description: String { rawValue }
}

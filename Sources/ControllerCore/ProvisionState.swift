/// Ironic's provision states, by their stored strings. Only a few matter to power, but the rest are listed so a
/// node imported from Ironic round-trips.
public enum ProvisionState: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case enroll = "enroll"
    case verifying = "verifying"
    case manageable = "manageable"
    case available = "available"
    case active = "active"
    case deploying = "deploying"
    case waitCallBack = "wait call-back"
    case deployFailed = "deploy failed"
    case cleaning = "cleaning"
    case cleanWait = "clean wait"
    case cleanFailed = "clean failed"
    case inspecting = "inspecting"
    case inspectWait = "inspect wait"
    case inspectFailed = "inspect failed"
    case rescuing = "rescuing"
    case rescueWait = "rescue wait"
    case rescueFailed = "rescue failed"
    case rescue = "rescue"
    case unrescuing = "unrescuing"
    case unrescueFailed = "unrescue failed"
    case adopting = "adopting"
    case adoptFailed = "adopt failed"
    case servicing = "servicing"
    case serviceWait = "service wait"
    case serviceFailed = "service failed"
    case deleting = "deleting"
    case error = "error"

    /// `SYNC_EXCLUDED_STATES` (ironic.md 0.5): a node waiting on an agent, still being enrolled, or whose adoption
    /// failed must not have its power corrected. `inspect wait`, `rescue wait` and `service wait` are *not* excluded.
    public var isSyncExcluded: Bool {
        switch self {
        case .waitCallBack, .cleanWait, .enroll, .adoptFailed: true
        default: false
        }
    }

    /// `FAILURE_STATES` (0.4): a power action keeps `last_error` in these, so the failure's cause is not lost (P6).
    public var isFailure: Bool {
        switch self {
        case .deployFailed, .cleanFailed, .inspectFailed, .rescueFailed, .unrescueFailed, .adoptFailed,
            .serviceFailed:
            true
        default: false
        }
    }

    /// The API refuses power requests while cleaning (P1 step 5).
    public var refusesPowerRequests: Bool { self == .cleaning || self == .cleanWait }

    public var description: String { rawValue }
}

/// Ironic's fault strings (0.6). Only `power failure` is ever set or cleared automatically by power code.
public enum NodeFault: String, Hashable, Sendable, CaseIterable {
    case powerFailure = "power failure"
    case cleanFailure = "clean failure"
    case rescueAbortFailure = "rescue abort failure"
    case serviceFailure = "service failure"
}

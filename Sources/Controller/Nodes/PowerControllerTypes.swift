import ControllerCore

/// What the supervisor runs with: Ironic's sync and action options plus its own concurrency limit.
public struct PowerControllerConfiguration: Hashable, Sendable {
    public var powerSync: PowerSyncConfiguration
    public var powerAction: PowerActionConfiguration
    /// Nodes checked at once in a pass (`[conductor]sync_power_state_workers`); async tasks, not threads.
    public var syncWorkers: Int
    /// `[nova] hold_power_state_until_applied` and `hold_maximum`.
    public var novaPowerStateHold: NovaPowerStateHold.Configuration {
        get { .init(enabled: holdPowerStateUntilApplied, maximumHold: holdMaximum) }
        set { (holdPowerStateUntilApplied, holdMaximum) = (newValue.enabled, newValue.maximumHold) }
    }
    private var holdPowerStateUntilApplied: Bool
    private var holdMaximum: Duration

    public init(powerSync: PowerSyncConfiguration = .init(), powerAction: PowerActionConfiguration = .init(),
                syncWorkers: Int = 1000, novaPowerStateHold: NovaPowerStateHold.Configuration = .init()) {
        self.powerSync = powerSync
        self.powerAction = powerAction
        self.syncWorkers = max(1, syncWorkers)
        holdPowerStateUntilApplied = novaPowerStateHold.enabled
        holdMaximum = novaPowerStateHold.maximumHold
    }
}

/// What one sync pass did, for logs, tests and benchmarks.
public struct SyncPassReport: Hashable, Sendable, CustomStringConvertible {
    public var startedAt: Timestamp
    public var duration: Duration
    /// Nodes whose BMC was read.
    public var checked = 0
    public var skipped = 0
    public var inSync = 0
    /// The hardware state was written into the record (unknown before, or force=false).
    public var recorded = 0
    /// The hardware was driven back to the recorded state (force=true).
    public var forced = 0
    public var readFailures = 0
    public var enteredMaintenance = 0
    /// Overtaken while reading (an action claimed the node meanwhile); left for the next pass.
    public var overtaken = 0

    public init(startedAt: Timestamp, duration: Duration = .zero) {
        self.startedAt = startedAt
        self.duration = duration
    }

    mutating func count(_ outcome: PowerSyncOutcome?) {
        guard let outcome else {
            checked += 1
            overtaken += 1
            return
        }
        switch outcome.decision {
        case .skip: skipped += 1
        case .inSync: checked += 1; inSync += 1
        case .recordHardwareState: checked += 1; recorded += 1
        case .driveHardware: checked += 1; forced += 1
        case .countFailure: checked += 1; readFailures += 1
        case .enterMaintenance: checked += 1; enteredMaintenance += 1
        }
    }

    public var description: String {
        "sync pass: \(checked) checked, \(skipped) skipped, \(inSync) in sync, \(recorded) recorded, \(forced) forced, "
            + "\(readFailures) read failures, \(enteredMaintenance) to maintenance, \(overtaken) overtaken, in \(duration)"
    }
}

/// Failures of the supervisor itself; a refused action is a `PowerActionRefusal`, a store failure a `StoreError`.
public enum PowerControllerError: Error, Hashable, Sendable, CustomStringConvertible {
    case nodeNotFound(String)
    case notStarted
    case shuttingDown

    public var description: String {
        switch self {
        case .nodeNotFound(let id): "Node \(id) could not be found."
        case .notStarted: "the controller has not loaded its nodes yet"
        case .shuttingDown: "the controller is shutting down"
        }
    }
}

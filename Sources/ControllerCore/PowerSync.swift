/// The sync's options, with Ironic's names and defaults (ironic.md §1).
public struct PowerSyncConfiguration: Hashable, Sendable {
    /// `[conductor]sync_power_state_interval`; zero disables the sync.
    public var syncPowerStateInterval: Duration
    /// `[conductor]force_power_state_during_sync`: true drives hardware back to the record, false records hardware.
    public var forcePowerStateDuringSync: Bool
    /// `[conductor]power_state_sync_max_retries`: consecutive failed or mismatched passes tolerated.
    public var powerStateSyncMaxRetries: Int
    /// `[conductor]power_failure_recovery_interval`; zero disables recovery.
    public var powerFailureRecoveryInterval: Duration

    public init(
        syncPowerStateInterval: Duration = .seconds(120),
        forcePowerStateDuringSync: Bool = true,
        powerStateSyncMaxRetries: Int = 3,
        powerFailureRecoveryInterval: Duration = .seconds(300)
    ) {
        self.syncPowerStateInterval = syncPowerStateInterval
        self.forcePowerStateDuringSync = forcePowerStateDuringSync
        self.powerStateSyncMaxRetries = powerStateSyncMaxRetries
        self.powerFailureRecoveryInterval = powerFailureRecoveryInterval
    }
}

/// What reading the BMC gave. A `.state(.error)` answer counts as a failure, as Ironic's `PowerStateFailure`.
public enum PowerReading: Hashable, Sendable {
    case state(PowerState)
    case failed(String)
}

/// Why the sync (or recovery) leaves a node alone this time.
public enum PowerSyncSkipReason: Hashable, Sendable {
    case maintenance
    case actionInProgress
    case excludedProvisionState(ProvisionState)
    /// Unknown state and unusable driver_info: a new node not yet configured (D2).
    case invalidDriverInfo
    /// Recovery only: the node is not in maintenance for `power failure`.
    case notPowerFailure
}

/// Ironic's `do_sync_power_state` decision for one node (ironic.md §3 decision table).
public enum PowerSyncDecision: Hashable, Sendable {
    case skip(PowerSyncSkipReason)
    /// Record and hardware agree; clear a stale `last_error` (D4).
    case inSync
    /// Write the hardware state into the record: unknown before (D5) or force=false (D8).
    case recordHardwareState(PowerState)
    /// Run a power action back to the recorded state (D7).
    case driveHardware(PowerAction)
    /// A read failed but retries remain: only logged, nothing written (D3).
    case countFailure(reason: String)
    /// Retries exhausted (M1, M2): record `recordedState`, enter maintenance with fault `power failure`.
    case enterMaintenance(recordedState: PowerState?, message: String)
}

/// The decision together with the node's new consecutive failure count (0 removes the entry, S6).
public struct PowerSyncOutcome: Hashable, Sendable {
    public var decision: PowerSyncDecision
    public var failureCount: Int

    public init(decision: PowerSyncDecision, failureCount: Int) {
        self.decision = decision
        self.failureCount = failureCount
    }
}

public enum PowerSync {
    /// The per-node worker's skip rules (S6). Reservation and action-in-progress are one thing here.
    public static func skipReason(for node: Node) -> PowerSyncSkipReason? {
        if node.provisionState.isSyncExcluded { return .excludedProvisionState(node.provisionState) }
        if node.maintenance { return .maintenance }
        if node.isPowerActionInProgress { return .actionInProgress }
        return nil
    }

    /// Whether the node should be read at all this pass; call before spending a BMC round trip.
    public static func shouldRead(_ node: Node) -> PowerSyncSkipReason? {
        if let reason = skipReason(for: node) { return reason }
        if node.powerState == nil, node.driverInfo.validationError != nil { return .invalidDriverInfo }
        return nil
    }

    /// `do_sync_power_state(task, count)`: `failureCount` is the node's count before this pass.
    public static func decide(
        node: Node,
        reading: PowerReading,
        failureCount: Int,
        configuration: PowerSyncConfiguration
    ) -> PowerSyncOutcome {
        // A skipped node keeps its count (S6); an unconfigured one is reset (D2 returns 0).
        if let reason = shouldRead(node) {
            return PowerSyncOutcome(
                decision: .skip(reason),
                failureCount: reason == .invalidDriverInfo ? 0 : failureCount
            )
        }
        let count = failureCount + 1
        let exhausted = count > configuration.powerStateSyncMaxRetries
        let hardware: PowerState
        switch reading {
        case .failed(let reason):
            return readFailure(node: node, actual: nil, reason: reason, count: count, exhausted: exhausted)
        case .state(.error):
            return readFailure(
                node: node,
                actual: .error,
                reason: "BMC reported an error state",
                count: count,
                exhausted: exhausted
            )
        case .state(let state):
            hardware = state
        }
        if node.powerState == hardware { return PowerSyncOutcome(decision: .inSync, failureCount: 0) }
        // An unknown record is simply filled in, never forced, even with force=true (D5).
        guard let recorded = node.powerState else {
            return PowerSyncOutcome(decision: .recordHardwareState(hardware), failureCount: 0)
        }
        if exhausted {
            let message = maxRetriesMessage(node: node, actual: hardware, error: nil)
            return PowerSyncOutcome(
                decision: .enterMaintenance(recordedState: hardware, message: message),
                failureCount: count
            )
        }
        if configuration.forcePowerStateDuringSync, let restore = PowerAction(restoring: recorded) {
            return PowerSyncOutcome(decision: .driveHardware(restore), failureCount: count)
        }
        return PowerSyncOutcome(decision: .recordHardwareState(hardware), failureCount: count)
    }

    private static func readFailure(
        node: Node,
        actual: PowerState?,
        reason: String,
        count: Int,
        exhausted: Bool
    ) -> PowerSyncOutcome {
        guard exhausted else { return PowerSyncOutcome(decision: .countFailure(reason: reason), failureCount: count) }
        let message = maxRetriesMessage(node: node, actual: actual, error: reason)
        return PowerSyncOutcome(
            decision: .enterMaintenance(recordedState: actual, message: message),
            failureCount: count
        )
    }

    /// Ironic's M1 text, so operators searching for it find it.
    static func maxRetriesMessage(node: Node, actual: PowerState?, error: String?) -> String {
        let actualText = actual.map(\.rawValue) ?? "None"
        let expected = node.powerState.map(\.rawValue) ?? "None"
        var message =
            "During sync_power_state, max retries exceeded for node \(node.id), node state "
            + "\(actualText) does not match expected state '\(expected)'. Updating DB state to '\(actualText)' "
            + "Switching node to maintenance mode."
        if let error { message += " Error: \(error)" }
        return message
    }
}

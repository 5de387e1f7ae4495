/// Ironic's `_power_failure_recovery` (ironic.md §5): nodes the sync put into maintenance for `power failure`
/// come back as soon as their BMC answers again.
public enum PowerRecovery {
    public enum Decision: Hashable, Sendable {
        case skip(PowerSyncSkipReason)
        /// Still unreachable; Ironic only logs at DEBUG and keeps no counter or back-off (R3).
        case stayInMaintenance(reason: String)
        case recover(PowerState)
    }

    /// R2's skip rules; call before reading the BMC.
    public static func shouldRead(_ node: Node) -> PowerSyncSkipReason? {
        if node.provisionState == .enroll { return .excludedProvisionState(.enroll) }
        if !node.maintenance || node.fault != .powerFailure { return .notPowerFailure }
        if node.isPowerActionInProgress { return .actionInProgress }
        return nil
    }

    public static func decide(node: Node, reading: PowerReading) -> Decision {
        if let reason = shouldRead(node) { return .skip(reason) }
        // Credentials may have been fixed while in maintenance, so validate again first (R3).
        if let problem = node.driverInfo.validationError { return .stayInMaintenance(reason: problem) }
        switch reading {
        case .failed(let reason): return .stayInMaintenance(reason: reason)
        case .state(.error): return .stayInMaintenance(reason: "BMC reported an error state")
        case .state(let state): return .recover(state)
        }
    }
}

extension Node {
    /// Writes a sync decision into the node (D4, D5, D8, M2). Decisions that write nothing (skip, a counted
    /// failure, driving the hardware, which goes through `beginPowerAction(_:origin: .sync, at:)`) return an
    /// empty outcome.
    public mutating func applySync(_ decision: PowerSyncDecision, at now: Timestamp) -> PowerActionOutcome {
        switch decision {
        case .skip, .countFailure, .driveHardware:
            return .nothing
        case .inSync:
            // With node_history on (Ironic's default), a matching sync clears a stale error.
            if lastError != nil {
                lastError = nil
                updatedAt = now
            }
            return .nothing
        case .recordHardwareState(let state):
            // Only filling in an unknown state clears `last_error` (D5); a force=false correction keeps it (D8).
            if powerState == nil { lastError = nil }
            return record(state, cause: .syncRecorded, at: now)
        case .enterMaintenance(let state, let message):
            lastError = message
            // Maintenance set by an admin is kept as is, so recovery can never clear it (M2).
            if !maintenance {
                maintenance = true
                maintenanceReason = message
                fault = .powerFailure
            }
            return record(state, cause: .syncMaxRetries, at: now)
        }
    }

    /// Brings a `power failure` node back with the state its BMC answers (R4). Recovery always records the
    /// hardware state, whatever force_power_state_during_sync says, and leaves `last_error` alone.
    public mutating func applyRecovery(_ state: PowerState, at now: Timestamp) -> PowerActionOutcome {
        maintenance = false
        maintenanceReason = nil
        fault = nil
        return record(state, cause: .recovery, at: now)
    }

    /// Sets `power_state`, and reports a change (with its Nova event) only when the value really changed.
    private mutating func record(_ state: PowerState?, cause: PowerChangeCause, at now: Timestamp) -> PowerActionOutcome
    {
        updatedAt = now
        let previous = powerState
        powerState = state
        guard previous != state else { return .nothing }
        let change = RecordedPowerChange(nodeID: id, from: previous, to: state, cause: cause, at: now)
        return PowerActionOutcome(
            change: change,
            novaEvent: NovaPowerUpdate.event(for: change, instanceUUID: instanceUUID)
        )
    }
}

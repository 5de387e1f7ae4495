/// Why a power request was refused before any BMC traffic. The shell maps these to HTTP (409, 400).
public enum PowerActionRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// Another action holds the node. Requests are refused, never queued silently (issue 4).
    case conflict(nodeID: String, inProgress: PowerState)
    /// Ironic refuses power requests while cleaning (P1 step 5).
    case invalidProvisionState(ProvisionState)
    /// `power.validate()` failed: driver_info cannot reach a BMC.
    case invalidDriverInfo(String)

    public var description: String {
        switch self {
        case .conflict(let id, let target):
            "Node \(id) is locked by a power action to '\(target)' already in progress"
        case .invalidProvisionState(let state): "Power requests are refused in provision state '\(state)'"
        case .invalidDriverInfo(let problem): problem
        }
    }
}

/// Who asked: a user request always clears `last_error` (P3); the sync forcing hardware keeps it in failure
/// states so the cause of the failure survives (P6).
public enum PowerActionOrigin: Hashable, Sendable {
    case user
    case sync
}

/// What finishing an action wrote: the change to record in history and the Nova event for the outbox, both in
/// the same transaction as the node.
public struct PowerActionOutcome: Hashable, Sendable {
    public var change: RecordedPowerChange?
    public var novaEvent: NovaPowerUpdate?

    public init(change: RecordedPowerChange?, novaEvent: NovaPowerUpdate?) {
        self.change = change
        self.novaEvent = novaEvent
    }

    public static let nothing = PowerActionOutcome(change: nil, novaEvent: nil)
}

extension Node {
    /// Claims the node for `action`: sets `target_power_state` so the sync and other requests keep off.
    public mutating func beginPowerAction(
        _ action: PowerAction,
        origin: PowerActionOrigin = .user,
        at now: Timestamp
    ) throws(PowerActionRefusal) {
        if let inProgress = targetPowerState { throw .conflict(nodeID: id, inProgress: inProgress) }
        if origin == .user, provisionState.refusesPowerRequests { throw .invalidProvisionState(provisionState) }
        if let problem = driverInfo.validationError { throw .invalidDriverInfo(problem) }
        targetPowerState = action.targetState
        if origin == .user || !provisionState.isFailure { lastError = nil }
        updatedAt = now
    }

    /// Releases the node with the machine's result (P5 skip path, P8 failure, P9 success).
    public mutating func completePowerAction(
        _ action: PowerAction,
        result: PowerActionResult,
        at now: Timestamp
    ) -> PowerActionOutcome {
        targetPowerState = nil
        updatedAt = now
        let previous = powerState
        switch result {
        case .alreadyInState(let state):
            // Ironic records the reading but sends Nova nothing on this path.
            lastError = nil
            powerState = state
            let change =
                previous == state
                ? nil
                : RecordedPowerChange(
                    nodeID: id,
                    from: previous,
                    to: state,
                    cause: .powerAction(action),
                    at: now
                )
            return PowerActionOutcome(change: change, novaEvent: nil)
        case .succeeded(let state):
            powerState = state
            let change = RecordedPowerChange(
                nodeID: id,
                from: previous,
                to: state,
                cause: .powerAction(action),
                at: now
            )
            return PowerActionOutcome(
                change: change,
                novaEvent: NovaPowerUpdate.event(for: change, instanceUUID: instanceUUID)
            )
        case .failed(let reason):
            lastError = "Failed to change power state to '\(action.targetState)' by '\(action)': \(reason)"
            return .nothing
        }
    }
}

/// The provision verbs that make an enrolled node usable, as simple transitions: Ironic's `manage` (which would
/// verify the BMC first) and `provide` (which would clean first). Deploy and the rest are outside power control.
public enum ProvisionVerb: String, Hashable, Sendable, CaseIterable {
    case manage
    case provide

    /// The state the verb leads to.
    public var target: ProvisionState {
        switch self {
        case .manage: .manageable
        case .provide: .available
        }
    }

    /// Ironic's allowed source states for the verb.
    public func allows(from state: ProvisionState) -> Bool {
        switch self {
        case .manage: [.enroll, .available, .manageable, .cleanFailed, .inspectFailed, .adoptFailed].contains(state)
        case .provide: state == .manageable
        }
    }
}

/// Why a provision verb was refused; the API answers 400 (wrong state, bad driver_info) or 409 (busy).
public enum ProvisionRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidState(verb: ProvisionVerb, state: ProvisionState)
    case invalidDriverInfo(String)
    case busy(nodeID: String)

    public var description: String {
        switch self {
        case .invalidState(let verb, let state):
            "The requested action \"\(verb.rawValue)\" can not be performed on a node in state \"\(state.rawValue)\""
        case .invalidDriverInfo(let problem): problem
        case .busy(let id): "Node \(id) is locked by a power action in progress"
        }
    }
}

extension Node {
    public mutating func apply(_ verb: ProvisionVerb, at now: Timestamp) throws(ProvisionRefusal) {
        guard verb.allows(from: provisionState) else { throw .invalidState(verb: verb, state: provisionState) }
        if isPowerActionInProgress { throw .busy(nodeID: id) }
        if verb == .manage, let problem = driverInfo.validationError { throw .invalidDriverInfo(problem) }
        provisionState = verb.target
        updatedAt = now
    }

    /// Ironic's maintenance flag: setting it records the reason; clearing it also clears the fault.
    public mutating func setMaintenance(_ on: Bool, reason: String?, at now: Timestamp) {
        maintenance = on
        maintenanceReason = on ? reason : nil
        if !on { fault = nil }
        updatedAt = now
    }
}

import ControllerCore

// Node administration through the supervisor: provision verbs, maintenance, updates and deletion. Each change goes
// through the node's actor, so it is ordered with the node's power work and committed with its history line.
extension PowerController {
    /// The controller's wall-clock reading, for records made outside a node actor (enrolment).
    public nonisolated func now() -> Timestamp { time.now() }

    /// `manage` / `provide`, recorded in the node's history.
    public func changeProvisionState(_ verb: ProvisionVerb, on idOrName: String) async throws {
        guard let actor = actor(for: idOrName) else { throw PowerControllerError.nodeNotFound(idOrName) }
        let now = time.now()
        let entry = NodeHistoryEntry(nodeID: actor.id, at: now, severity: .info, eventType: .conductor,
                                     event: "Provision state changed by '\(verb.rawValue)' to '\(verb.target.rawValue)'")
        try await actor.update(history: [entry]) { node in try node.apply(verb, at: now) }
    }

    /// Sets or clears maintenance; clearing also clears the fault (so the sync takes the node back).
    public func setMaintenance(_ on: Bool, reason: String?, on idOrName: String) async throws {
        guard let actor = actor(for: idOrName) else { throw PowerControllerError.nodeNotFound(idOrName) }
        let now = time.now()
        let event = on ? "Maintenance set" + (reason.map { ": \($0)" } ?? "") : "Maintenance cleared"
        let entry = NodeHistoryEntry(nodeID: actor.id, at: now, severity: .info, eventType: .maintenance, event: event)
        try await actor.update(history: [entry]) { node in node.setMaintenance(on, reason: reason, at: now) }
    }
}

/// Why a node may not be deleted (ironic.md: Ironic's DELETE_ALLOWED_STATES, NodeAssociated, NodeLocked).
public enum NodeDeletionRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    case locked(String)
    case associated(nodeID: String, instance: String)
    case invalidState(nodeID: String, state: ProvisionState)

    public var description: String {
        switch self {
        case .locked(let id): "Node \(id) is locked by a power action; please retry after it has completed."
        case .associated(let id, let instance): "Node \(id) is associated with instance \(instance)."
        case .invalidState(let id, let state):
            "Can not delete node \"\(id)\" while it is in provision state \"\(state.rawValue)\"."
        }
    }

    static let allowedStates: Set<ProvisionState> = [.available, .manageable, .enroll, .adoptFailed]
}

extension PowerController {
    /// Changes a node through its actor and keeps the name index in step with a rename.
    @discardableResult
    public func update(_ idOrName: String, history: [NodeHistoryEntry] = [],
                       _ change: @escaping @Sendable (inout Node) throws -> Void) async throws -> Node {
        guard let actor = actor(for: idOrName) else { throw PowerControllerError.nodeNotFound(idOrName) }
        let before = await actor.node.name
        let node = try await actor.update(history: history, change)
        renamed(actor.id, from: before, to: node.name)
        return node
    }

    /// Deletes a node that is idle, has no instance and is in a deletable provision state.
    public func remove(_ idOrName: String) async throws {
        guard let actor = actor(for: idOrName) else { throw PowerControllerError.nodeNotFound(idOrName) }
        let node = await actor.node
        if node.isPowerActionInProgress { throw NodeDeletionRefusal.locked(node.id) }
        if let instance = node.instanceUUID { throw NodeDeletionRefusal.associated(nodeID: node.id, instance: instance) }
        guard NodeDeletionRefusal.allowedStates.contains(node.provisionState) else {
            throw NodeDeletionRefusal.invalidState(nodeID: node.id, state: node.provisionState)
        }
        try await store.deleteNode(id: node.id)
        novaHolds.forget(nodeID: node.id)
        forget(node)
        logger.info("node deleted", metadata: ["node": "\(node.id)"])
    }
}

/// Closes the race of nova.md §3.6 (timeline A) from the controller's side.
///
/// The race needs two things: the controller's new power state is readable before Nova has applied the
/// `power-update` event, and Nova's periodic sync treats the difference as drift and forces its own stale view
/// onto the node. A hold removes the first: from the moment a change is recorded until Nova shows the event applied,
/// Nova's own reads of the node report the power state Nova last agreed with. Nova's sync then sees no difference
/// and does nothing; once the event lands, Nova and the controller agree and the hold is released. Operators and
/// every other client always read the truth. A hold is bounded (`maximumHold`) so a Nova that never applies the event
/// ends up seeing the truth and reconciling as it would without the hold.
///
/// Changes Nova asked for itself (its stop/start calling our power API) are never held: Nova reads them back to
/// finish its own operation.
public struct NovaPowerStateHold: Sendable, Equatable {
    public struct Configuration: Sendable, Equatable {
        public var enabled: Bool
        public var maximumHold: Duration

        public init(enabled: Bool = false, maximumHold: Duration = .seconds(120)) {
            self.enabled = enabled
            self.maximumHold = maximumHold
        }
    }

    public struct Entry: Sendable, Equatable {
        public var instanceUUID: String
        /// What Nova's reads report while held: the state before the first unapplied change.
        public var shown: PowerState?
        /// The newest event sent for the node, which Nova must show applied to release the hold.
        public var pending: NovaPowerUpdate.Tag
        public var since: Timestamp
    }

    public let configuration: Configuration
    public private(set) var entries: [String: Entry] = [:]

    public init(configuration: Configuration = .init()) { self.configuration = configuration }

    /// Call where the controller commits a Nova event for `nodeID` (the change's `from` is `previous`).
    public mutating func recorded(nodeID: String, previous: PowerState?, event: NovaPowerUpdate, requestedByNova: Bool) {
        guard configuration.enabled else { return }
        let newState = event.tag.powerState
        if requestedByNova {
            entries[nodeID] = nil
            return
        }
        if var entry = entries[nodeID], entry.instanceUUID == event.serverUUID {
            // Back to what Nova already believes: the pending event will be a no-op there, nothing to hide.
            if entry.shown == newState {
                entries[nodeID] = nil
                return
            }
            entry.pending = event.tag
            entry.since = event.at
            entries[nodeID] = entry
            return
        }
        // A reboot (on → on) changes nothing Nova could act on.
        guard previous != newState else {
            entries[nodeID] = nil
            return
        }
        entries[nodeID] = Entry(instanceUUID: event.serverUUID, shown: previous, pending: event.tag, since: event.at)
    }

    /// The `power_state` Nova's own reads of the node get; everyone else reads `actual`.
    public func powerStateForNova(nodeID: String, actual: PowerState?, now: Timestamp) -> PowerState? {
        guard let entry = entries[nodeID], now - entry.since < configuration.maximumHold else { return actual }
        return entry.shown
    }

    public func isHeld(nodeID: String, now: Timestamp) -> Bool {
        guard let entry = entries[nodeID] else { return false }
        return now - entry.since < configuration.maximumHold
    }

    /// Instances to look up in Nova (`GET /servers/{id}`), ordered by node id so shells and simulations agree.
    public var heldInstances: [(nodeID: String, instanceUUID: String)] {
        entries.keys.sorted().map { ($0, entries[$0]!.instanceUUID) }
    }

    /// Nova's view of an instance (`nil`: Nova no longer has it). Returns the node released, if any: Nova shows
    /// the pending event applied (vm_state, power_state and no task), or there is nothing left to protect.
    @discardableResult
    public mutating func observed(instanceUUID: String, view: NovaInstanceView?, now: Timestamp) -> String? {
        guard let nodeID = entries.first(where: { $0.value.instanceUUID == instanceUUID })?.key else { return nil }
        if let view, !view.shows(entries[nodeID]!.pending) { return nil }
        entries[nodeID] = nil
        return nodeID
    }

    /// Releases holds older than `maximumHold`; returns their node ids, sorted.
    public mutating func expire(now: Timestamp) -> [String] {
        let expired = entries.filter { now - $0.value.since >= configuration.maximumHold }.keys.sorted()
        for nodeID in expired { entries[nodeID] = nil }
        return expired
    }

    /// The node no longer has that instance, or is gone.
    public mutating func forget(nodeID: String) { entries[nodeID] = nil }
}

/// What Nova says of one instance (`GET /v2.1/servers/{id}`: `OS-EXT-STS:*`).
public struct NovaInstanceView: Sendable, Hashable {
    public var vmState: String
    /// Nova's integer power state: 1 RUNNING, 4 SHUTDOWN.
    public var powerState: Int
    public var taskState: String?

    public init(vmState: String, powerState: Int, taskState: String?) {
        self.vmState = vmState
        self.powerState = powerState
        self.taskState = taskState
    }

    /// Nova has applied `tag`: the state nova-compute's `power_update` writes (nova.md §2 step 6), no task left.
    public func shows(_ tag: NovaPowerUpdate.Tag) -> Bool {
        guard taskState == nil else { return false }
        switch tag {
        case .powerOn: return vmState == "active" && powerState == 1
        case .powerOff: return vmState == "stopped" && powerState == 4
        }
    }
}

extension NovaPowerUpdate.Tag {
    public var powerState: PowerState {
        switch self {
        case .powerOn: .powerOn
        case .powerOff: .powerOff
        }
    }
}

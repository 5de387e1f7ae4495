/// One line of a node's history, after Ironic's node history (`event_type`, `severity`, `event`): every recorded
/// power change, failed action, maintenance change and restart clean-up leaves one, in the same transaction.
public struct NodeHistoryEntry: Hashable, Sendable {
    public enum Severity: String, Hashable, Sendable {
        case info = "INFO"
        case error = "ERROR"
    }

    /// Ironic's `event_type` values where they exist: `power` for changes and failures, `maintenance`, `conductor`.
    public enum EventType: String, Hashable, Sendable {
        case power
        case maintenance
        case conductor
        case nova
    }

    public var nodeID: String
    public var at: Timestamp
    public var severity: Severity
    public var eventType: EventType
    public var event: String

    public init(nodeID: String, at: Timestamp, severity: Severity, eventType: EventType, event: String) {
        self.nodeID = nodeID
        self.at = at
        self.severity = severity
        self.eventType = eventType
        self.event = event
    }
}

/// What the node actor hands the store after one step: the node as it now is, what to add to its history, and
/// the Nova events to queue. The store writes all of it in one transaction, or none of it.
public struct NodeWrite: Hashable, Sendable {
    public var node: Node
    public var history: [NodeHistoryEntry]
    public var novaEvents: [NovaPowerUpdate]

    public init(node: Node, history: [NodeHistoryEntry] = [], novaEvents: [NovaPowerUpdate] = []) {
        self.node = node
        self.history = history
        self.novaEvents = novaEvents
    }
}

extension RecordedPowerChange {
    /// The history line for a recorded change, worded so operators can grep it.
    public var historyEntry: NodeHistoryEntry {
        let from = self.from?.rawValue ?? "None"
        let to = self.to?.rawValue ?? "None"
        let why: String
        switch cause {
        case .powerAction(let action): why = "power action '\(action)'"
        case .syncRecorded: why = "power state sync recorded the hardware state"
        case .syncMaxRetries: why = "power state sync gave up after max retries"
        case .recovery: why = "power failure recovery"
        }
        let severity: NodeHistoryEntry.Severity = cause == .syncMaxRetries ? .error : .info
        // A reboot, or a forced power-on after a press, ends where it began: say so rather than "changed".
        let event = self.from == self.to ? "Power state '\(to)' confirmed by \(why)" : "Power state changed from '\(from)' to '\(to)' by \(why)"
        return NodeHistoryEntry(nodeID: nodeID, at: at, severity: severity, eventType: .power, event: event)
    }
}

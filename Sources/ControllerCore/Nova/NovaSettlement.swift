/// How one outbox event ends: the shell writes it to the outbox (`settle(ids, as:, reason:)`) and to the node's
/// history, in the order the machine emits them.
public struct NovaSettlement: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        case delivered
        case dropped(reason: String)
    }

    public var event: NovaPendingEvent
    public var outcome: Outcome
    /// Error for drops an operator must look at (Nova rejected the event, or gave up); info otherwise.
    public var severity: NodeHistoryEntry.Severity

    public init(event: NovaPendingEvent, outcome: Outcome, severity: NodeHistoryEntry.Severity) {
        self.event = event
        self.outcome = outcome
        self.severity = severity
    }

    public var reason: String? {
        if case .dropped(let reason) = outcome { return reason }
        return nil
    }

    /// The history line, worded so operators can grep for "Nova".
    public func historyEntry(at time: Timestamp) -> NodeHistoryEntry {
        let what = "Nova power-update \(event.update.tag.rawValue) for instance \(event.update.serverUUID) (event \(event.id))"
        let text = switch outcome {
        case .delivered: "\(what) delivered"
        case .dropped(let reason): "\(what) dropped: \(reason)"
        }
        return NodeHistoryEntry(nodeID: event.nodeID, at: time, severity: severity, eventType: .nova, event: text)
    }
}

/// The reason strings, in one place so docs/nova-notifier.md and tests agree with the code.
public enum NovaDropReason {
    public static func superseded(by newer: Int64) -> String { "superseded by event \(newer)" }
    public static let disabled = "power notifications are disabled ([nova] send_power_notifications = false)"
    public static func invalidUUID(_ uuid: String) -> String { "instance uuid '\(uuid)' is not a UUID" }
    public static let tooLargeAlone = "body too large for Nova (413) even with this event alone"
    public static let instanceNotFound = "instance not found in Nova (404)"
    public static let eventRejected = "Nova rejected the event (400)"
    public static func requestRejected(_ body: String) -> String { "Nova rejected the request (400) with this event alone: \(body)" }
    public static func gaveUp(code: Int, attempts: Int) -> String {
        code == 422
            ? "instance has no host in Nova (422); gave up after \(attempts) attempts"
            : "Nova answered \(code) for the event; gave up after \(attempts) attempts"
    }
}

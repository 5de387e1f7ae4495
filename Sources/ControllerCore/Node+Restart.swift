extension Node {
    /// Ironic's text for an action lost to a restart (C1), kept so operators recognise it.
    public static let abortedByRestartMessage = "Pending power operation was aborted due to conductor restart"

    /// On controller start, an action that was in flight when the process died cannot be resumed: its machine
    /// and timers died with it. Release the node and say why (C1). Returns whether anything changed, so the
    /// store writes only those nodes.
    public mutating func abortPendingPowerAction(at now: Timestamp) -> Bool {
        guard targetPowerState != nil else { return false }
        targetPowerState = nil
        lastError = Self.abortedByRestartMessage
        updatedAt = now
        return true
    }
}

/// The sync's consecutive failure counts (D9), one entry per failing node. A value so the supervisor can keep it
/// across passes and a restart can start from empty, as Ironic's in-memory dict does.
public struct PowerSyncFailureCounts: Hashable, Sendable {
    public private(set) var counts: [String: Int] = [:]

    public init(_ counts: [String: Int] = [:]) { self.counts = counts.filter { $0.value > 0 } }

    public subscript(nodeID: String) -> Int { counts[nodeID, default: 0] }

    /// Stores the outcome's count; zero removes the entry so healthy nodes cost nothing (S6).
    public mutating func record(_ outcome: PowerSyncOutcome, for nodeID: String) {
        counts[nodeID] = outcome.failureCount > 0 ? outcome.failureCount : nil
    }

    /// Drops entries of nodes that no longer exist (Ironic's admitted orphan-entry TODO in S6).
    public mutating func retain(only nodeIDs: Set<String>) {
        counts = counts.filter { nodeIDs.contains($0.key) }
    }
}

/// One node left out of a pass, and why.
public struct SkippedNode: Hashable, Sendable {
    public var nodeID: String
    public var reason: PowerSyncSkipReason

    public init(nodeID: String, reason: PowerSyncSkipReason) {
        self.nodeID = nodeID
        self.reason = reason
    }
}

/// Which nodes a pass reads, in what order, and which it leaves alone. Pure, so the supervisor shell only
/// has to run the plan with its concurrency limit.
public struct PowerSyncPassPlan: Hashable, Sendable {
    /// Failing nodes first (S3: "fail them fast"), highest count first; ties keep the input order so a pass is
    /// deterministic.
    public var order: [String]
    public var skipped: [SkippedNode]

    /// A sync pass (S2, S3, S6).
    public static func sync(nodes: [Node], failureCounts: [String: Int]) -> PowerSyncPassPlan {
        plan(nodes: nodes, failureCounts: failureCounts, skip: PowerSync.shouldRead)
    }

    /// A recovery pass: only `power failure` maintenance nodes, in input order (R1, R2).
    public static func recovery(nodes: [Node]) -> PowerSyncPassPlan {
        plan(nodes: nodes, failureCounts: [:], skip: PowerRecovery.shouldRead)
    }

    private static func plan(
        nodes: [Node],
        failureCounts: [String: Int],
        skip: (Node) -> PowerSyncSkipReason?
    ) -> PowerSyncPassPlan {
        var read: [(index: Int, count: Int, id: String)] = []
        var skipped: [SkippedNode] = []
        for (index, node) in nodes.enumerated() {
            if let reason = skip(node) {
                skipped.append(SkippedNode(nodeID: node.id, reason: reason))
            } else {
                read.append((index, failureCounts[node.id, default: 0], node.id))
            }
        }
        read.sort { $0.count != $1.count ? $0.count > $1.count : $0.index < $1.index }
        return PowerSyncPassPlan(order: read.map(\.id), skipped: skipped)
    }

    /// When the next pass may start: one interval after the last one started, or at once if it overran, so passes
    /// never overlap (S1, futurist's `last_started` schedule).
    public static func nextPassStart(lastStarted: Timestamp, lastFinished: Timestamp, interval: Duration) -> Timestamp {
        max(lastStarted + interval, lastFinished)
    }
}

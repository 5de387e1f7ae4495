/// One pending outbox row as the notifier sees it. `id` is the outbox's monotonic id: a larger id was committed
/// later, so it is the newer state of its instance.
public struct NovaPendingEvent: Hashable, Sendable {
    public var id: Int64
    public var nodeID: String
    public var update: NovaPowerUpdate

    public init(id: Int64, nodeID: String, update: NovaPowerUpdate) {
        self.id = id
        self.nodeID = nodeID
        self.update = update
    }

    /// Coalescing key: Nova applies events per server, so only the newest per server matters.
    public var instance: String { update.serverUUID }
}

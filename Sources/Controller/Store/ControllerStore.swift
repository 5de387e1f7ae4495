import ControllerCore

/// Where a queued Nova event stands. The notifier (issue 6) moves events out of `pending`.
public enum OutboxState: String, Hashable, Sendable {
    case pending
    case delivered
    case dropped
}

/// One Nova `power-update` in the durable outbox.
public struct OutboxEvent: Hashable, Sendable {
    /// Monotonic: a later id was committed later, so it is the newer state for its instance.
    public var id: Int64
    public var nodeID: String
    public var event: NovaPowerUpdate
    public var state: OutboxState
    /// Why it was dropped, or nil.
    public var reason: String?

    public init(id: Int64, nodeID: String, event: NovaPowerUpdate, state: OutboxState, reason: String? = nil) {
        self.id = id
        self.nodeID = nodeID
        self.event = event
        self.state = state
        self.reason = reason
    }
}

public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A node with this uuid or name exists already.
    case duplicate(String)
    case nodeNotFound(String)
    /// The database file cannot be opened, or holds something that is not ours (a newer schema, say).
    case unusable(String)
    /// A row could not be read back into a node (hand-edited database); names the node and the column.
    case corruptRow(nodeID: String, column: String)
    case closed

    public var description: String {
        switch self {
        case .duplicate(let what): "a node with \(what) already exists"
        case .nodeNotFound(let id): "node \(id) not found"
        case .unusable(let why): "the database cannot be used: \(why)"
        case .corruptRow(let id, let column): "node \(id) has an unreadable \(column) in the database"
        case .closed: "the store is closed"
        }
    }
}

/// The controller's durable state: nodes, their history, the Nova outbox. Every call returns only once its writes
/// are on disk, so what a caller has been told is never lost to a crash.
public protocol ControllerStore: Sendable {
    /// Every node, in creation order.
    func loadNodes() async throws -> [Node]
    /// Adds a node; throws `StoreError.duplicate` if its uuid or (non-nil) name is taken.
    func create(_ node: Node, history: [NodeHistoryEntry]) async throws
    /// Writes every node in `writes` (which must exist), appends their history and queues their Nova events, all
    /// in one transaction. Calls from concurrent callers may share a transaction (group commit).
    func commit(_ writes: [NodeWrite]) async throws
    /// Removes a node and its history; its queued Nova events stay, to be delivered.
    func deleteNode(id: String) async throws
    /// A node's history, oldest first; at most the newest `limit` entries.
    func history(nodeID: String, limit: Int) async throws -> [NodeHistoryEntry]
    /// Outbox events in commit order, optionally only those in one state; at most `limit`.
    func outbox(state: OutboxState?, limit: Int) async throws -> [OutboxEvent]
    /// Marks outbox events delivered or dropped (with a reason), in one transaction.
    func settle(_ ids: [Int64], as state: OutboxState, reason: String?) async throws
    /// Pending outbox events with ids above `id`, in id order; at most `limit`. The notifier reads past its
    /// watermark, so a large backlog of older rows never hides new ones.
    func outbox(after id: Int64, limit: Int) async throws -> [OutboxEvent]
    /// Settles the notifier's outcomes and appends each one's history line (to nodes that still exist), in one
    /// transaction.
    func settle(_ settlements: [NovaSettlement], at time: Timestamp) async throws
    func close() async throws
}

extension ControllerStore {
    // Fallbacks for stores that do not implement the notifier's calls: correct, but slower and without history.
    public func outbox(after id: Int64, limit: Int) async throws -> [OutboxEvent] {
        Array(try await outbox(state: .pending, limit: .max).filter { $0.id > id }.prefix(max(0, limit)))
    }

    public func settle(_ settlements: [NovaSettlement], at time: Timestamp) async throws {
        for settlement in settlements {
            try await settle([settlement.event.id], as: settlement.outboxState, reason: settlement.reason)
        }
    }
}

extension NovaSettlement {
    var outboxState: OutboxState {
        if case .delivered = outcome { return .delivered }
        return .dropped
    }
}

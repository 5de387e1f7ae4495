import ControllerCore

/// A `ControllerStore` that keeps everything in memory: for the simulator and for tests of the shells. It keeps
/// the SQLite store's rules (unique uuid and name, all-or-nothing commits) so code tested on it behaves the same.
public actor InMemoryStore: ControllerStore {
    private var nodes: [String: Node] = [:]
    private var order: [String] = []
    private var histories: [String: [NodeHistoryEntry]] = [:]
    private var events: [OutboxEvent] = []
    private var nextEventID: Int64 = 1
    private var closed = false
    /// Transactions written, as the SQLite store counts them.
    public private(set) var transactionsCommitted = 0

    public init() {}

    public func loadNodes() throws -> [Node] {
        try checkOpen()
        return order.compactMap { nodes[$0] }
    }

    public func create(_ node: Node, history: [NodeHistoryEntry]) throws {
        try checkOpen()
        if nodes[node.id] != nil { throw StoreError.duplicate("uuid \(node.id)") }
        if let name = node.name, nodes.values.contains(where: { $0.name == name }) { throw StoreError.duplicate("name \(name)") }
        nodes[node.id] = node
        order.append(node.id)
        histories[node.id, default: []] += history
        transactionsCommitted += 1
    }

    public func commit(_ writes: [NodeWrite]) throws {
        try checkOpen()
        for write in writes where nodes[write.node.id] == nil { throw StoreError.nodeNotFound(write.node.id) }
        for write in writes {
            if let name = write.node.name, nodes.values.contains(where: { $0.name == name && $0.id != write.node.id }) {
                throw StoreError.duplicate("name \(name)")
            }
        }
        for write in writes {
            nodes[write.node.id] = write.node
            histories[write.node.id, default: []] += write.history
            for event in write.novaEvents {
                events.append(OutboxEvent(id: nextEventID, nodeID: write.node.id, event: event, state: .pending))
                nextEventID += 1
            }
        }
        transactionsCommitted += 1
    }

    public func deleteNode(id: String) throws {
        try checkOpen()
        guard nodes.removeValue(forKey: id) != nil else { throw StoreError.nodeNotFound(id) }
        order.removeAll { $0 == id }
        histories[id] = nil
        transactionsCommitted += 1
    }

    public func history(nodeID: String, limit: Int) throws -> [NodeHistoryEntry] {
        try checkOpen()
        return Array(histories[nodeID, default: []].suffix(max(0, limit)))
    }

    public func outbox(state: OutboxState?, limit: Int) throws -> [OutboxEvent] {
        try checkOpen()
        return Array(events.filter { state == nil || $0.state == state }.prefix(max(0, limit)))
    }

    public func settle(_ ids: [Int64], as state: OutboxState, reason: String?) throws {
        try checkOpen()
        let settled = Set(ids)
        for index in events.indices where settled.contains(events[index].id) {
            events[index].state = state
            events[index].reason = reason
        }
        transactionsCommitted += 1
    }

    public func outbox(after id: Int64, limit: Int) throws -> [OutboxEvent] {
        try checkOpen()
        return Array(events.filter { $0.state == .pending && $0.id > id }.prefix(max(0, limit)))
    }

    public func settle(_ settlements: [NovaSettlement], at time: Timestamp) throws {
        try checkOpen()
        let byID = Dictionary(settlements.map { ($0.event.id, $0) }, uniquingKeysWith: { _, last in last })
        for index in events.indices {
            guard let settlement = byID[events[index].id] else { continue }
            events[index].state = settlement.outboxState
            events[index].reason = settlement.reason
        }
        for settlement in settlements where nodes[settlement.event.nodeID] != nil {
            histories[settlement.event.nodeID, default: []].append(settlement.historyEntry(at: time))
        }
        transactionsCommitted += 1
    }

    public func close() { closed = true }

    private func checkOpen() throws {
        if closed { throw StoreError.closed }
    }
}

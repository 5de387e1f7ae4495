import ControllerCore
import Logging
import SQLiteNIO

/// The controller's store in one SQLite file (WAL, `synchronous=FULL`), through one connection that one operation
/// uses at a time. Writes from concurrent callers share a transaction (group commit), so a sync pass that changes
/// 10,000 nodes costs a few fsyncs, not 10,000.
public actor SQLiteStore: ControllerStore {
    let connection: SQLiteConnection
    let logger: Logger
    /// Nodes as they will be once every accepted write has committed; lets a bad write fail alone, before it can
    /// join (and spoil) a group.
    var known: KnownNodes
    /// Accepted writes not yet in a transaction, oldest first.
    var queue: [QueuedWrite] = []
    /// Some caller is writing groups; the others wait in `queue`.
    var leaderActive = false
    var nextTicket: UInt64 = 0
    var connectionBusy = false
    var connectionWaiters: [CheckedContinuation<Void, Never>] = []
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
    var isClosed = false
    /// Write transactions committed since `open`; with group commit, far fewer than the calls that wrote.
    public internal(set) var transactionsCommitted = 0

    init(connection: SQLiteConnection, logger: Logger, known: KnownNodes) {
        self.connection = connection
        self.logger = logger
        self.known = known
    }

    /// Opens the store at `path` (`:memory:` for a throwaway one), creating the file and its schema if missing.
    /// Throws `StoreError.unusable` for a file that is not a SQLite database, or not ours, or from a newer version.
    public static func open(path: String, logger: Logger = Logger(label: "ferrum.store")) async throws -> SQLiteStore {
        let inMemory = path == ":memory:"
        let connection: SQLiteConnection
        do {
            let storage: SQLiteConnection.Storage = inMemory ? .memory : .file(path: path)
            connection = try await SQLiteConnection.open(storage: storage, logger: logger)
        } catch {
            throw StoreError.unusable("cannot open \(path): \(error)")
        }
        do {
            try await Schema.prepare(connection, requireWAL: !inMemory)
            let known = try await KnownNodes.load(from: connection)
            logger.debug("store opened", metadata: ["path": "\(path)", "nodes": "\(known.count)"])
            return SQLiteStore(connection: connection, logger: logger, known: known)
        } catch {
            // The future-based close is not skipped when this task is cancelled; a connection left open traps.
            try? await connection.close().get()
            if error is StoreError || error is CancellationError { throw error }
            throw StoreError.unusable("\(path): \(error)")
        }
    }

    deinit {
        // A store dropped without `close()` still releases its file (SQLiteConnection traps if never closed).
        if !connection.isClosed { _ = connection.close() }
    }

    public func loadNodes() async throws -> [Node] {
        try await withConnection {
            try await connection.query(Rows.selectNodes).map(Rows.node(from:))
        }
    }

    public func create(_ node: Node, history: [NodeHistoryEntry]) async throws {
        try await write(.create(node, history))
    }

    public func commit(_ writes: [NodeWrite]) async throws {
        guard !writes.isEmpty else { return }
        try await write(.commit(writes))
    }

    public func deleteNode(id: String) async throws {
        try await write(.delete(id))
    }

    /// Empty for a node that does not exist, as in `InMemoryStore`.
    public func history(nodeID: String, limit: Int) async throws -> [NodeHistoryEntry] {
        try await withConnection {
            guard limit > 0 else { return [] }
            return try await connection.query(Rows.selectHistory, [.text(nodeID), .integer(limit)])
                .map(Rows.historyEntry(from:))
        }
    }

    public func outbox(state: OutboxState?, limit: Int) async throws -> [OutboxEvent] {
        try await withConnection {
            guard limit > 0 else { return [] }
            let rows =
                if let state {
                    try await connection.query(Rows.selectOutboxInState, [.text(state.rawValue), .integer(limit)])
                } else {
                    try await connection.query(Rows.selectOutbox, [.integer(limit)])
                }
            return try rows.map(Rows.outboxEvent(from:))
        }
    }

    public func settle(_ ids: [Int64], as state: OutboxState, reason: String?) async throws {
        guard !ids.isEmpty else { return }
        try await write(.settle(ids, state, reason))
    }

    public func outbox(after id: Int64, limit: Int) async throws -> [OutboxEvent] {
        try await withConnection {
            guard limit > 0 else { return [] }
            return try await connection.query(Rows.selectPendingOutboxAfter, [.integer(Int(id)), .integer(limit)])
                .map(Rows.outboxEvent(from:))
        }
    }

    public func settle(_ settlements: [NovaSettlement], at time: Timestamp) async throws {
        guard !settlements.isEmpty else { return }
        // History only for nodes that exist: an event outlives its deleted node, its history does not. Checked
        // with no await before `write` admits the op, so a delete cannot slip in between.
        let history = settlements.filter { known.contains($0.event.nodeID) }.map { $0.historyEntry(at: time) }
        try await write(.settleNova(settlements, history))
    }

    /// Waits for accepted writes to commit, then closes the file; later calls throw `StoreError.closed`.
    public func close() async throws {
        guard !isClosed else { return }
        isClosed = true
        while leaderActive { await withCheckedContinuation { idleWaiters.append($0) } }
        await acquireConnection()
        defer { releaseConnection() }
        try await connection.close().get()
    }

    /// Runs raw SQL and returns each row's first column as text, for tests that inspect settings or play a
    /// hand-edited database.
    @discardableResult
    func executeForTesting(_ sql: String) async throws -> [String] {
        try await withConnection { try await connection.query(sql).map { $0.columns.first?.data.string ?? "NULL" } }
    }

    /// Runs `body` with the connection to itself, after any transaction in progress.
    func withConnection<T>(_ body: () async throws -> T) async throws -> T {
        guard !isClosed else { throw StoreError.closed }
        await acquireConnection()
        defer { releaseConnection() }
        guard !isClosed else { throw StoreError.closed }
        return try await body()
    }

    func acquireConnection() async {
        guard connectionBusy else {
            connectionBusy = true
            return
        }
        await withCheckedContinuation { connectionWaiters.append($0) }
    }

    /// Hands the connection to the next waiter directly, so nobody can overtake it.
    func releaseConnection() {
        if connectionWaiters.isEmpty {
            connectionBusy = false
        } else {
            connectionWaiters.removeFirst().resume()
        }
    }
}

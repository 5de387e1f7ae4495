import ControllerCore
import SQLiteNIO

extension SQLiteStore {
    /// One store call that writes; the unit a group is made of.
    enum WriteOp: Sendable {
        case create(Node, [NodeHistoryEntry])
        case commit([NodeWrite])
        case delete(String)
        case settle([Int64], OutboxState, String?)
        /// The notifier's outcomes with the history lines of the nodes that exist.
        case settleNova([NovaSettlement], [NodeHistoryEntry])
    }

    struct QueuedWrite {
        enum Outcome { case committed, lead }

        var ticket: UInt64
        var op: WriteOp
        /// nil for the caller that found no leader and leads at once.
        var continuation: CheckedContinuation<Outcome, any Error>?
    }
}

// Group commit: the first writer to arrive leads. It takes every queued write, commits them in one transaction,
// answers the callers whose writes were in it, and hands leadership to the oldest write that queued meanwhile.
// The leader waits for the transaction it starts, so no task outlives the store.
extension SQLiteStore {
    func write(_ op: WriteOp) async throws {
        guard !isClosed else { throw StoreError.closed }
        try known.admit(op)
        nextTicket += 1
        let ticket = nextTicket
        if leaderActive {
            let outcome: QueuedWrite.Outcome = try await withCheckedThrowingContinuation {
                queue.append(QueuedWrite(ticket: ticket, op: op, continuation: $0))
            }
            guard case .lead = outcome else { return }
        } else {
            leaderActive = true
            queue.append(QueuedWrite(ticket: ticket, op: op, continuation: nil))
        }
        try await leadGroup(ownTicket: ticket)
    }

    private func leadGroup(ownTicket: UInt64) async throws {
        await acquireConnection()
        let group = queue
        queue.removeAll(keepingCapacity: true)
        let ops = group.map(\.op)
        // Not on this caller's task: NIOThreadPool skips work for a cancelled task, and a skipped COMMIT or
        // ROLLBACK would strand the connection inside a transaction.
        let result = await Task { await self.runTransaction(ops) }.value
        releaseConnection()
        for entry in group where entry.ticket != ownTicket {
            entry.continuation?.resume(with: result.map { .committed })
        }
        if let next = queue.first {
            next.continuation?.resume(returning: .lead)
        } else {
            leaderActive = false
            for waiter in idleWaiters { waiter.resume() }
            idleWaiters.removeAll()
        }
        try result.get()
    }

    private func runTransaction(_ ops: [WriteOp]) async -> Result<Void, any Error> {
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                var batch = InsertBatch()
                for op in ops { try await apply(op, batch: &batch) }
                try await batch.flush(on: connection)
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
            transactionsCommitted += 1
            return .success(())
        } catch {
            logger.error("store transaction rolled back", metadata: ["writes": "\(ops.count)", "error": "\(error)"])
            // The group's effects were admitted to `known` but never written: rebuild it from the file, then
            // re-admit what is still queued (leniently: the database's constraints remain the last word).
            if var reloaded = try? await KnownNodes.load(from: connection) {
                for entry in queue { reloaded.replay(entry.op) }
                known = reloaded
            }
            return .failure(error)
        }
    }

    private func apply(_ op: WriteOp, batch: inout InsertBatch) async throws {
        switch op {
        case .create(let node, let history):
            _ = try await connection.query(Rows.insertNode, Rows.bindings(node))
            batch.add(history, nodeID: node.id)
        case .commit(let writes):
            for write in writes {
                let updated = try await connection.query(Rows.updateNode, Rows.bindings(write.node))
                // `known` said it exists; a miss means it was wrong, and the whole group must not commit.
                guard !updated.isEmpty else { throw StoreError.nodeNotFound(write.node.id) }
                batch.add(write.history, nodeID: write.node.id)
                batch.add(write.novaEvents, nodeID: write.node.id)
            }
        case .delete(let id):
            // Earlier inserts of this group may be for this node: write them first, for the foreign key.
            try await batch.flush(on: connection)
            _ = try await connection.query(Rows.deleteHistory, [.text(id)])
            _ = try await connection.query(Rows.deleteNode, [.text(id)])
        case .settleNova(let settlements, let history):
            // One UPDATE per distinct outcome: most settlements of a step share one ("delivered").
            var groups: [OutcomeKey: [Int64]] = [:]
            for settlement in settlements {
                groups[OutcomeKey(state: settlement.outboxState, reason: settlement.reason), default: []].append(settlement.event.id)
            }
            for (key, ids) in groups.sorted(by: { $0.value[0] < $1.value[0] }) {
                try await apply(.settle(ids, key.state, key.reason), batch: &batch)
            }
            for entry in history { batch.add([entry], nodeID: entry.nodeID) }
        case .settle(let ids, let state, let reason):
            for chunk in stride(from: 0, to: ids.count, by: Rows.maxRowsPerStatement) {
                let slice = ids[chunk..<min(chunk + Rows.maxRowsPerStatement, ids.count)]
                let binds: [SQLiteData] = [.text(state.rawValue), reason.map(SQLiteData.text) ?? .null]
                    + slice.map { .integer(Int($0)) }
                _ = try await connection.query(Rows.settleOutbox(count: slice.count), binds)
            }
        }
    }
}

private struct OutcomeKey: Hashable {
    var state: OutboxState
    var reason: String?
}

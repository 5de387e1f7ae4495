import ControllerCore
import SQLiteNIO

extension SQLiteStore {
    /// Node ids and names as they will be once every accepted write has committed. A write is checked against it
    /// before it joins a group, so a write for a missing node (or a taken name) fails alone instead of rolling back
    /// the other callers' writes with it.
    struct KnownNodes {
        private var ids: Set<String> = []
        private var nameOwners: [String: String] = [:]
        private var names: [String: String] = [:]

        var count: Int { ids.count }

        func contains(_ id: String) -> Bool { ids.contains(id) }

        static func load(from connection: SQLiteConnection) async throws -> KnownNodes {
            var known = KnownNodes()
            for row in try await connection.query("SELECT id, name FROM nodes") {
                let reader = RowReader(row: row, nodeID: row.column("id")?.string ?? "?")
                known.insert(id: try reader.text("id"), name: try reader.optionalText("name"))
            }
            return known
        }

        /// Checks `op` in order after everything admitted before it and records its effect; throws the caller's
        /// error and records nothing when it would fail.
        mutating func admit(_ op: WriteOp) throws {
            switch op {
            case .create(let node, _):
                guard !ids.contains(node.id) else { throw StoreError.duplicate("uuid \(node.id)") }
                if let name = node.name, nameOwners[name] != nil { throw StoreError.duplicate("name \(name)") }
                insert(id: node.id, name: node.name)
            case .commit(let writes):
                if let missing = writes.first(where: { !ids.contains($0.node.id) }) {
                    throw StoreError.nodeNotFound(missing.node.id)
                }
                guard writes.contains(where: { names[$0.node.id] != $0.node.name }) else { return }
                // Renames are rare: check them on a copy, applied one by one as the UPDATEs will be.
                var next = self
                for write in writes {
                    if let name = write.node.name, let owner = next.nameOwners[name], owner != write.node.id {
                        throw StoreError.duplicate("name \(name)")
                    }
                    next.rename(id: write.node.id, to: write.node.name)
                }
                self = next
            case .delete(let id):
                guard ids.contains(id) else { throw StoreError.nodeNotFound(id) }
                remove(id: id)
            case .settle, .settleNova:
                break
            }
        }

        /// Records `op`'s effect without checking it, after a failed transaction (the database still has the last
        /// word).
        mutating func replay(_ op: WriteOp) {
            switch op {
            case .create(let node, _): insert(id: node.id, name: node.name)
            case .commit(let writes):
                for write in writes where ids.contains(write.node.id) { rename(id: write.node.id, to: write.node.name) }
            case .delete(let id): remove(id: id)
            case .settle, .settleNova: break
            }
        }

        private mutating func insert(id: String, name: String?) {
            ids.insert(id)
            rename(id: id, to: name)
        }

        private mutating func remove(id: String) {
            ids.remove(id)
            rename(id: id, to: nil)
        }

        private mutating func rename(id: String, to name: String?) {
            if let old = names[id], nameOwners[old] == id { nameOwners[old] = nil }
            names[id] = name
            if let name { nameOwners[name] = id }
        }
    }
}

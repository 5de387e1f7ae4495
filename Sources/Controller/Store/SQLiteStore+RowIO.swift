import ControllerCore
import SQLiteNIO

extension SQLiteStore {
    /// Reads typed columns; anything else (a hand-edited database) is `StoreError.corruptRow`, never a trap.
    struct RowReader {
        var row: SQLiteRow
        var nodeID: String

        private func corrupt(_ column: String) -> StoreError { .corruptRow(nodeID: nodeID, column: column) }

        func optionalText(_ column: String) throws -> String? {
            switch row.column(column) {
            case .text(let value): value
            case .null: nil
            default: throw corrupt(column)
            }
        }

        func text(_ column: String) throws -> String {
            guard let value = try optionalText(column) else { throw corrupt(column) }
            return value
        }

        func optionalInteger(_ column: String) throws -> Int? {
            switch row.column(column) {
            case .integer(let value): value
            case .null: nil
            default: throw corrupt(column)
            }
        }

        func integer(_ column: String) throws -> Int {
            guard let value = try optionalInteger(column) else { throw corrupt(column) }
            return value
        }

        func bool(_ column: String) throws -> Bool {
            switch try integer(column) {
            case 0: false
            case 1: true
            default: throw corrupt(column)
            }
        }

        func optionalValue<E: RawRepresentable<String>>(_ column: String) throws -> E? {
            guard let raw = try optionalText(column) else { return nil }
            guard let value = E(rawValue: raw) else { throw corrupt(column) }
            return value
        }

        func value<E: RawRepresentable<String>>(_ column: String) throws -> E {
            guard let value: E = try optionalValue(column) else { throw corrupt(column) }
            return value
        }
    }

    /// History and outbox rows of one transaction, written as multi-row inserts: one statement (one thread-pool hop)
    /// per few hundred rows instead of one per row.
    struct InsertBatch {
        private var history: [SQLiteData] = []
        private var outbox: [SQLiteData] = []

        /// Under `nodeID`, whatever the entries say: a write's history belongs to its node.
        mutating func add(_ entries: [NodeHistoryEntry], nodeID: String) {
            for entry in entries {
                history += [
                    .text(nodeID), .integer(Rows.microseconds(entry.at)), .text(entry.severity.rawValue),
                    .text(entry.eventType.rawValue), .text(entry.event),
                ]
            }
        }

        mutating func add(_ events: [NovaPowerUpdate], nodeID: String) {
            for event in events {
                outbox += [
                    .text(nodeID), .text(event.serverUUID), .text(event.tag.rawValue),
                    .integer(Rows.microseconds(event.at)), .text(OutboxState.pending.rawValue), .null,
                ]
            }
        }

        mutating func flush(on connection: SQLiteConnection) async throws {
            try await Self.insert(
                &history, into: "node_history (node_id, at, severity, event_type, event)", columns: 5, on: connection)
            try await Self.insert(
                &outbox, into: "nova_outbox (node_id, server_uuid, tag, created_at, state, reason)", columns: 6,
                on: connection)
        }

        private static func insert(
            _ values: inout [SQLiteData], into table: String, columns: Int, on connection: SQLiteConnection
        ) async throws {
            let row = "(\(Rows.placeholders(columns)))"
            let chunk = Rows.maxRowsPerStatement * columns
            for start in stride(from: 0, to: values.count, by: chunk) {
                let binds = Array(values[start..<min(start + chunk, values.count)])
                let rows = Array(repeating: row, count: binds.count / columns).joined(separator: ", ")
                _ = try await connection.query("INSERT INTO \(table) VALUES \(rows)", binds)
            }
            values.removeAll(keepingCapacity: true)
        }
    }
}

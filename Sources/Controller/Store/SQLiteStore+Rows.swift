import ControllerCore
import SQLiteNIO

extension SQLiteStore {
    /// SQL and the mapping between rows and values. Values always travel as bound parameters; the only text built
    /// here is column lists and `?` placeholders.
    enum Rows {
        /// Rows per multi-row statement: 500 × 6 parameters stays far below SQLite's limit of 32,766.
        static let maxRowsPerStatement = 500

        static let nodeColumns = [
            "id", "name", "driver", "ipmi_address", "ipmi_port", "ipmi_username", "ipmi_password", "ipmi_priv_level",
            "ipmi_cipher_suite", "ipmi_kg", "power_state", "target_power_state", "provision_state", "maintenance",
            "maintenance_reason", "fault", "last_error", "instance_uuid", "extra", "created_at", "updated_at",
        ]

        static let insertNode =
            "INSERT INTO nodes (\(nodeColumns.joined(separator: ", ")))"
            + " VALUES (\(placeholders(nodeColumns.count)))"
        static let updateNode =
            "UPDATE nodes SET "
            + nodeColumns.enumerated().dropFirst().map { "\($1) = ?\($0 + 1)" }.joined(separator: ", ")
            + " WHERE id = ?1 RETURNING id"
        static let selectNodes = "SELECT \(nodeColumns.joined(separator: ", ")) FROM nodes ORDER BY seq"
        static let deleteNode = "DELETE FROM nodes WHERE id = ?1"
        static let deleteHistory = "DELETE FROM node_history WHERE node_id = ?1"
        /// The newest `limit`, turned back to oldest first.
        static let selectHistory = """
            SELECT * FROM (SELECT id, node_id, at, severity, event_type, event FROM node_history
            WHERE node_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id
            """
        static let outboxColumns = "id, node_id, server_uuid, tag, created_at, state, reason"
        static let selectOutbox = "SELECT \(outboxColumns) FROM nova_outbox ORDER BY id LIMIT ?1"
        static let selectOutboxInState =
            "SELECT \(outboxColumns) FROM nova_outbox WHERE state = ?1 ORDER BY id LIMIT ?2"

        static let selectPendingOutboxAfter =
            "SELECT \(outboxColumns) FROM nova_outbox WHERE state = 'pending' AND id > ?1 ORDER BY id LIMIT ?2"
        static func settleOutbox(count: Int) -> String {
            "UPDATE nova_outbox SET state = ?, reason = ? WHERE id IN (\(placeholders(count)))"
        }

        static func placeholders(_ count: Int) -> String {
            Array(repeating: "?", count: count).joined(separator: ", ")
        }

        /// In `nodeColumns` order. The secrets are stored as they are: the controller needs them to reach the BMCs.
        static func bindings(_ node: Node) -> [SQLiteData] {
            let info = node.driverInfo
            return [
                .text(node.id), text(node.name), .text(node.driver), .text(info.ipmiAddress),
                .integer(Int(info.ipmiPort)), text(info.ipmiUsername), text(info.ipmiPassword?.revealed),
                .text(info.ipmiPrivLevel.rawValue), info.ipmiCipherSuite.map { .integer($0) } ?? .null,
                text(info.ipmiKg?.revealed), text(node.powerState?.rawValue), text(node.targetPowerState?.rawValue),
                .text(node.provisionState.rawValue), .integer(node.maintenance ? 1 : 0), text(node.maintenanceReason),
                text(node.fault?.rawValue), text(node.lastError), text(node.instanceUUID), .text(node.extra),
                .integer(microseconds(node.createdAt)), node.updatedAt.map { .integer(microseconds($0)) } ?? .null,
            ]
        }

        static func text(_ value: String?) -> SQLiteData { value.map(SQLiteData.text) ?? .null }

        static func node(from row: SQLiteRow) throws -> Node {
            let id = try RowReader(row: row, nodeID: row.column("id")?.string ?? "?").text("id")
            let r = RowReader(row: row, nodeID: id)
            guard let port = try UInt16(exactly: r.integer("ipmi_port")) else {
                throw StoreError.corruptRow(nodeID: id, column: "ipmi_port")
            }
            let info = DriverInfo(
                ipmiAddress: try r.text("ipmi_address"), ipmiPort: port,
                ipmiUsername: try r.optionalText("ipmi_username"), ipmiPassword: try r.optionalText("ipmi_password"),
                ipmiPrivLevel: try r.value("ipmi_priv_level"),
                ipmiCipherSuite: try r.optionalInteger("ipmi_cipher_suite"), ipmiKg: try r.optionalText("ipmi_kg"))
            var node = Node(
                id: id, name: try r.optionalText("name"), driverInfo: info,
                powerState: try r.optionalValue("power_state"),
                targetPowerState: try r.optionalValue("target_power_state"),
                provisionState: try r.value("provision_state"), maintenance: try r.bool("maintenance"),
                maintenanceReason: try r.optionalText("maintenance_reason"), fault: try r.optionalValue("fault"),
                lastError: try r.optionalText("last_error"), instanceUUID: try r.optionalText("instance_uuid"),
                extra: try r.text("extra"),
                createdAt: timestamp(try r.integer("created_at")),
                updatedAt: try r.optionalInteger("updated_at").map(timestamp))
            node.driver = try r.text("driver")
            return node
        }

        static func historyEntry(from row: SQLiteRow) throws -> NodeHistoryEntry {
            let r = RowReader(row: row, nodeID: row.column("node_id")?.string ?? "?")
            return NodeHistoryEntry(
                nodeID: try r.text("node_id"), at: timestamp(try r.integer("at")),
                severity: try r.value("severity"), eventType: try r.value("event_type"), event: try r.text("event"))
        }

        static func outboxEvent(from row: SQLiteRow) throws -> OutboxEvent {
            let r = RowReader(row: row, nodeID: row.column("node_id")?.string ?? "?")
            let event = NovaPowerUpdate(
                serverUUID: try r.text("server_uuid"), tag: try r.value("tag"),
                at: timestamp(try r.integer("created_at")))
            return OutboxEvent(
                id: Int64(try r.integer("id")), nodeID: try r.text("node_id"), event: event,
                state: try r.value("state"), reason: try r.optionalText("reason"))
        }

        /// The stored form of a time: whole microseconds since the epoch, clamped (Int64 microseconds span
        /// ±292,000 years).
        static func microseconds(_ time: Timestamp) -> Int {
            let (seconds, attoseconds) = time.sinceEpoch.components
            let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
            let (sum, overflowed) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000)
            if overflow || overflowed { return seconds < 0 ? .min : .max }
            return Int(sum)
        }

        static func timestamp(_ microseconds: Int) -> Timestamp { Timestamp(sinceEpoch: .microseconds(microseconds)) }
    }
}

import SQLiteNIO

extension SQLiteStore {
    /// The file's settings and tables. `PRAGMA user_version` numbers the schema; `application_id` marks the file ours.
    enum Schema {
        static let version = 1
        /// "FERR".
        static let applicationID = 0x4645_5252

        static let tables = [
            """
            CREATE TABLE nodes (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                name TEXT,
                driver TEXT NOT NULL,
                ipmi_address TEXT NOT NULL,
                ipmi_port INTEGER NOT NULL,
                ipmi_username TEXT,
                ipmi_password TEXT,
                ipmi_priv_level TEXT NOT NULL,
                ipmi_cipher_suite INTEGER,
                ipmi_kg TEXT,
                power_state TEXT,
                target_power_state TEXT,
                provision_state TEXT NOT NULL,
                maintenance INTEGER NOT NULL,
                maintenance_reason TEXT,
                fault TEXT,
                last_error TEXT,
                instance_uuid TEXT,
                extra TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER
            )
            """,
            // SQLite treats NULLs as distinct here, so any number of nodes may have no name.
            "CREATE UNIQUE INDEX nodes_name ON nodes (name)",
            """
            CREATE TABLE node_history (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                node_id TEXT NOT NULL REFERENCES nodes (id),
                at INTEGER NOT NULL,
                severity TEXT NOT NULL,
                event_type TEXT NOT NULL,
                event TEXT NOT NULL
            )
            """,
            "CREATE INDEX node_history_node ON node_history (node_id, id)",
            // No foreign key: a deleted node's events must still reach Nova. AUTOINCREMENT never reuses an id, so a
            // larger id is always a later event.
            """
            CREATE TABLE nova_outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                node_id TEXT NOT NULL,
                server_uuid TEXT NOT NULL,
                tag TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                state TEXT NOT NULL,
                reason TEXT
            )
            """,
            "CREATE INDEX nova_outbox_state ON nova_outbox (state, id)",
        ]

        /// Sets the connection up and creates the schema in an empty file; throws `StoreError.unusable` for a file
        /// that is not ours. SQLite's own errors (not a database, say) are left for the caller to wrap.
        static func prepare(_ connection: SQLiteConnection, requireWAL: Bool) async throws {
            // These pragmas are per connection and ignored inside a transaction, so they come first.
            let mode = try await connection.query("PRAGMA journal_mode = WAL").first?.column("journal_mode")?.string
            if requireWAL, mode != "wal" {
                throw StoreError.unusable("journal_mode is \(mode ?? "unknown"), WAL is required")
            }
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await connection.query("PRAGMA foreign_keys = ON")
            // sqlite-nio's busy handler retries forever; another process holding the file should fail, not hang.
            _ = try await connection.query("PRAGMA busy_timeout = 5000")

            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                try await createOrCheck(connection)
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }

        /// Inside the transaction, so two processes opening one new file do not both create it.
        private static func createOrCheck(_ connection: SQLiteConnection) async throws {
            let found = try await integer(connection, "PRAGMA user_version")
            let application = try await integer(connection, "PRAGMA application_id")
            let foreign = StoreError.unusable("the file holds a database that is not Ferrum's")
            switch found {
            case 0:
                let objects = try await integer(connection, "SELECT count(*) FROM sqlite_schema")
                guard objects == 0, application == 0 else { throw foreign }
                for statement in tables { _ = try await connection.query(statement) }
                // PRAGMA takes no bound parameters; both values are constants of this file.
                _ = try await connection.query("PRAGMA user_version = \(version)")
                _ = try await connection.query("PRAGMA application_id = \(applicationID)")
            case _ where application != applicationID:
                throw foreign
            case version:
                break
            case let newer where newer > version:
                throw StoreError.unusable(
                    "schema version \(newer) is newer than this Ferrum understands (\(version)); upgrade Ferrum")
            default:
                throw StoreError.unusable("unknown schema version \(found)")
            }
        }

        private static func integer(_ connection: SQLiteConnection, _ sql: String) async throws -> Int {
            guard let value = try await connection.query(sql).first?.columns.first?.data.integer else {
                throw StoreError.unusable("\(sql) returned nothing")
            }
            return value
        }
    }
}

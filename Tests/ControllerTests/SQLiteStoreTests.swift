import ControllerCore
import Foundation
import Testing

@testable import Controller

@Suite struct SQLiteStoreTests {
    @Test func fullyPopulatedAndBareNodesRoundTripThroughTheFile() async throws {
        try await withStoreFile { path in
            var full = Node(
                id: "uuid-full", name: "rack1-u07",
                driverInfo: DriverInfo(
                    ipmiAddress: "10.0.0.7", ipmiPort: 6231, ipmiUsername: "admin", ipmiPassword: "s3cret",
                    ipmiPrivLevel: .operator, ipmiCipherSuite: 17, ipmiKg: "0a0b"),
                powerState: .powerOn, targetPowerState: .powerOff, provisionState: .active, maintenance: true,
                maintenanceReason: "fan", fault: .powerFailure, lastError: "timeout", instanceUUID: "server-1", extra: #"{"rack":"r12"}"#,
                createdAt: at(1), updatedAt: at(2))
            full.driver = "ipmi"
            let bare = Node(id: "uuid-bare", driverInfo: DriverInfo(ipmiAddress: "10.0.0.8"), createdAt: at(3))
            let store = try await SQLiteStore.open(path: path)
            try await store.create(full, history: [])
            try await store.create(bare, history: [])
            #expect(try await store.loadNodes() == [full, bare])
            try await store.close()

            let reopened = try await SQLiteStore.open(path: path)
            let nodes = try await reopened.loadNodes()
            #expect(nodes == [full, bare])
            #expect(nodes.first?.driverInfo.ipmiPassword?.revealed == "s3cret")
            #expect(nodes.first?.driverInfo.ipmiKg?.revealed == "0a0b")
            try await reopened.close()
        }
    }

    @Test func aDuplicateUUIDOrNameIsRefused() async throws {
        let store = try await SQLiteStore.open(path: ":memory:")
        try await store.create(node("a", name: "alpha"), history: [])
        try await store.create(node("b"), history: [])
        try await store.create(node("c"), history: [])  // any number of nodes may have no name
        await #expect(throws: StoreError.duplicate("uuid a")) { try await store.create(node("a"), history: []) }
        await #expect(throws: StoreError.duplicate("name alpha")) {
            try await store.create(node("d", name: "alpha"), history: [])
        }
        var renamed = node("b", name: "alpha")
        renamed.lastError = "must not land"
        await #expect(throws: StoreError.duplicate("name alpha")) { try await store.commit([NodeWrite(node: renamed)]) }
        #expect(try await store.loadNodes().map(\.id) == ["a", "b", "c"])
        #expect(try await store.loadNodes()[1].lastError == nil)
        // A rename frees the old name.
        try await store.commit([NodeWrite(node: node("a", name: "beta"))])
        try await store.create(node("d", name: "alpha"), history: [])
        #expect(try await store.loadNodes().map(\.name) == ["beta", nil, nil, "alpha"])
        try await store.close()
    }

    @Test func aCommitWritesNodeHistoryAndNovaEventsTogetherAndSurvivesReopen() async throws {
        try await withStoreFile { path in
            let store = try await SQLiteStore.open(path: path)
            let created = entry("a", 1, "enrolled")
            try await store.create(node("a"), history: [created])
            var changed = node("a")
            changed.powerState = .powerOn
            changed.instanceUUID = "server-a"
            let change = entry("a", 2, "Power state changed from 'None' to 'power on'")
            let event = NovaPowerUpdate(serverUUID: "server-a", tag: .powerOn, at: at(2))
            try await store.commit([NodeWrite(node: changed, history: [change], novaEvents: [event])])
            try await store.close()

            let reopened = try await SQLiteStore.open(path: path)
            #expect(try await reopened.loadNodes() == [changed])
            #expect(try await reopened.history(nodeID: "a", limit: 10) == [created, change])
            let outbox = try await reopened.outbox(state: nil, limit: 10)
            #expect(outbox.map(\.event) == [event])
            #expect(outbox.map(\.nodeID) == ["a"] && outbox.map(\.state) == [.pending] && outbox[0].reason == nil)
            try await reopened.close()
        }
    }

    @Test func concurrentCommitsShareTransactionsAndAllLand() async throws {
        let count = 2_000
        try await withStoreFile { path in
            let store = try await SQLiteStore.open(path: path)
            try await forEach(0..<count) { try await store.create(node("n\($0)"), history: []) }
            let before = await store.transactionsCommitted
            try await forEach(0..<count) { i in
                var changed = node("n\(i)")
                changed.powerState = .powerOff
                changed.instanceUUID = "server-\(i)"
                let event = NovaPowerUpdate(serverUUID: "server-\(i)", tag: .powerOff, at: at(i))
                let history = [entry("n\(i)", i, "off")]
                try await store.commit([NodeWrite(node: changed, history: history, novaEvents: [event])])
            }
            let transactions = await store.transactionsCommitted - before
            print("\(count) concurrent commits took \(transactions) transactions")
            #expect(transactions < count / 10)
            try await store.close()

            let reopened = try await SQLiteStore.open(path: path)
            let nodes = try await reopened.loadNodes()
            #expect(nodes.count == count && nodes.allSatisfy { $0.powerState == .powerOff })
            #expect(Set(nodes.map(\.id)) == Set((0..<count).map { "n\($0)" }))
            let outbox = try await reopened.outbox(state: .pending, limit: count + 1)
            #expect(outbox.count == count && Set(outbox.map(\.event.serverUUID)).count == count)
            #expect(try await reopened.history(nodeID: "n1999", limit: 5).map(\.event) == ["off"])
            try await reopened.close()
        }
    }

    @Test func aCommitForAMissingNodeFailsAloneWhileConcurrentCommitsLand() async throws {
        let store = try await SQLiteStore.open(path: ":memory:")
        for i in 0..<200 { try await store.create(node("n\(i)"), history: []) }
        var failures: [String: StoreError] = [:]
        await withTaskGroup(of: (String, StoreError?).self) { group in
            for i in 0..<200 {
                group.addTask { ("n\(i)", await storeError { try await store.commit([write("n\(i)", i)]) }) }
                if i == 100 {
                    group.addTask { ("ghost", await storeError { try await store.commit([write("ghost", i)]) }) }
                    // All or nothing within one call: the valid half must not land either.
                    group.addTask {
                        ("mixed", await storeError { try await store.commit([write("n0", -1), write("ghost", i)]) })
                    }
                }
            }
            for await (id, error) in group { failures[id] = error }
        }
        #expect(failures.compactMapValues { $0 } == ["ghost": .nodeNotFound("ghost"), "mixed": .nodeNotFound("ghost")])
        let nodes = try await store.loadNodes()
        #expect(nodes.allSatisfy { $0.powerState == .powerOff })
        #expect(try await store.history(nodeID: "n0", limit: 10).map(\.event) == ["event 0"])
        #expect(try await store.outbox(state: nil, limit: 1_000).count == 200)
        try await store.close()
    }

    @Test func deletingANodeDropsItsHistoryButKeepsItsOutboxEvents() async throws {
        let store = try await SQLiteStore.open(path: ":memory:")
        try await store.create(node("a"), history: [entry("a", 1, "enrolled")])
        try await store.create(node("b"), history: [])
        try await store.commit([write("a", 2), write("b", 3)])
        try await store.deleteNode(id: "a")
        #expect(try await store.loadNodes().map(\.id) == ["b"])
        #expect(try await store.history(nodeID: "a", limit: 10).isEmpty)
        await #expect(throws: StoreError.nodeNotFound("a")) { try await store.commit([write("a", 4)]) }
        await #expect(throws: StoreError.nodeNotFound("a")) { try await store.deleteNode(id: "a") }
        #expect(try await store.outbox(state: nil, limit: 10).map(\.nodeID) == ["a", "b"])
        try await store.create(node("a"), history: [])  // the uuid is free again, with a fresh history
        #expect(try await store.history(nodeID: "a", limit: 10).isEmpty)
        try await store.close()
    }

    @Test func historyReturnsTheNewestEntriesOldestFirst() async throws {
        let store = try await SQLiteStore.open(path: ":memory:")
        try await store.create(node("a"), history: [entry("a", 0, "e0")])
        for i in 1..<10 { try await store.commit([NodeWrite(node: node("a"), history: [entry("a", i, "e\(i)")])]) }
        #expect(try await store.history(nodeID: "a", limit: 3).map(\.event) == ["e7", "e8", "e9"])
        #expect(try await store.history(nodeID: "a", limit: 100).map(\.event) == (0..<10).map { "e\($0)" })
        #expect(try await store.history(nodeID: "a", limit: 0).isEmpty)
        try await store.close()
    }

    @Test func theOutboxFiltersByStateInIDOrderAndSettles() async throws {
        let store = try await SQLiteStore.open(path: ":memory:")
        try await store.create(node("a"), history: [])
        for i in 0..<5 { try await store.commit([write("a", i)]) }
        let all = try await store.outbox(state: nil, limit: 10)
        #expect(all.map(\.event.at) == (0..<5).map(at) && all.map(\.id) == all.map(\.id).sorted())
        try await store.settle([all[0].id, all[2].id], as: .delivered, reason: nil)
        try await store.settle([all[1].id], as: .dropped, reason: "superseded")
        #expect(try await store.outbox(state: .pending, limit: 10).map(\.id) == [all[3].id, all[4].id])
        #expect(try await store.outbox(state: .pending, limit: 1).map(\.id) == [all[3].id])
        #expect(try await store.outbox(state: .delivered, limit: 10).map(\.id) == [all[0].id, all[2].id])
        let dropped = try await store.outbox(state: .dropped, limit: 10)
        #expect(dropped.map(\.id) == [all[1].id] && dropped.map(\.reason) == ["superseded"])
        try await store.close()
    }

    @Test func anUnknownEnumStringIsACorruptRowNotATrap() async throws {
        let store = try await SQLiteStore.open(path: ":memory:")
        try await store.create(node("a"), history: [entry("a", 1, "x")])
        try await store.commit([write("a", 2)])
        try await store.executeForTesting("UPDATE nodes SET power_state = 'sideways'")
        await #expect(throws: StoreError.corruptRow(nodeID: "a", column: "power_state")) {
            _ = try await store.loadNodes()
        }
        try await store.executeForTesting("UPDATE nodes SET power_state = NULL, maintenance = 'yes'")
        await #expect(throws: StoreError.corruptRow(nodeID: "a", column: "maintenance")) {
            _ = try await store.loadNodes()
        }
        try await store.executeForTesting("UPDATE node_history SET severity = 'LOUD'")
        await #expect(throws: StoreError.corruptRow(nodeID: "a", column: "severity")) {
            _ = try await store.history(nodeID: "a", limit: 1)
        }
        try await store.executeForTesting("UPDATE nova_outbox SET state = 'lost'")
        await #expect(throws: StoreError.corruptRow(nodeID: "a", column: "state")) {
            _ = try await store.outbox(state: nil, limit: 1)
        }
        try await store.close()
    }

    @Test func aFileThatIsNotASQLiteDatabaseIsUnusable() async throws {
        try await withStoreFile { path in
            try Data(String(repeating: "not a database\n", count: 300).utf8).write(to: URL(fileURLWithPath: path))
            let error = await #expect(throws: StoreError.self) { _ = try await SQLiteStore.open(path: path) }
            guard case .unusable(let why) = error else { Issue.record("\(String(describing: error))"); return }
            #expect(why.contains("not a database"))
        }
    }

    @Test func aNewerSchemaOrAForeignDatabaseIsRefused() async throws {
        for (pragma, words) in [("PRAGMA user_version = 2", "newer"), ("PRAGMA application_id = 7", "not Ferrum's")] {
            try await withStoreFile { path in
                let store = try await SQLiteStore.open(path: path)
                try await store.executeForTesting(pragma)
                try await store.close()
                let error = await #expect(throws: StoreError.self) { _ = try await SQLiteStore.open(path: path) }
                guard case .unusable(let why) = error else { Issue.record("\(String(describing: error))"); return }
                #expect(why.contains(words))
            }
        }
    }

    @Test func theFileIsInWALModeWithFullSync() async throws {
        try await withStoreFile { path in
            let store = try await SQLiteStore.open(path: path)
            #expect(try await store.executeForTesting("PRAGMA journal_mode") == ["wal"])
            #expect(try await store.executeForTesting("PRAGMA synchronous") == ["2"])  // FULL
            #expect(try await store.executeForTesting("PRAGMA foreign_keys") == ["1"])
            try await store.close()
        }
    }

    @Test func aFailedTransactionWritesNothingAndTheStoreCarriesOn() async throws {
        let store = try await SQLiteStore.open(path: ":memory:")
        try await store.create(node("a"), history: [])
        // A trigger plays a failure that no up-front check can see (a full disk, say).
        try await store.executeForTesting("""
            CREATE TRIGGER poison BEFORE INSERT ON node_history WHEN NEW.event = 'poison'
            BEGIN SELECT RAISE(ABORT, 'poisoned'); END
            """)
        var poisoned = write("a", 1)
        poisoned.history = [entry("a", 1, "poison")]
        await #expect(throws: (any Error).self) { try await store.commit([poisoned]) }
        await #expect(throws: (any Error).self) {
            try await store.create(node("b"), history: [entry("b", 1, "poison")])
        }
        #expect(try await store.loadNodes() == [node("a")])
        #expect(try await store.outbox(state: nil, limit: 10).isEmpty)
        // Not left inside a transaction, and "b" is free again.
        try await store.create(node("b"), history: [])
        try await store.commit([write("a", 2)])
        #expect(try await store.loadNodes().map(\.powerState) == [.powerOff, nil])
        try await store.close()
    }

    @Test func cancelledCallersStillCommit() async throws {
        let store = try await SQLiteStore.open(path: ":memory:")
        for i in 0..<100 { try await store.create(node("n\(i)"), history: []) }
        let tasks = (0..<100).map { i in Task { try await store.commit([write("n\(i)", i)]) } }
        for task in tasks { task.cancel() }
        for task in tasks { try await task.value }
        #expect(try await store.loadNodes().allSatisfy { $0.powerState == .powerOff })
        try await store.close()
    }

    @Test func closeFinishesAcceptedWritesAndRefusesLaterCalls() async throws {
        try await withStoreFile { path in
            let store = try await SQLiteStore.open(path: path)
            for i in 0..<300 { try await store.create(node("n\(i)"), history: []) }
            var results: [String: StoreError?] = [:]
            await withTaskGroup(of: (String, StoreError?).self) { group in
                for i in 0..<300 {
                    group.addTask { ("n\(i)", await storeError { try await store.commit([write("n\(i)", i)]) }) }
                    if i == 150 { group.addTask { ("close", await storeError { try await store.close() }) } }
                }
                for await (id, error) in group { results[id] = error }
            }
            #expect(results["close"] == .some(nil))
            #expect(results.values.allSatisfy { $0 == nil || $0 == .closed })
            await #expect(throws: StoreError.closed) { _ = try await store.loadNodes() }
            try await store.close()

            // Every commit that returned is in the file; every refused one is not.
            let reopened = try await SQLiteStore.open(path: path)
            for node in try await reopened.loadNodes() {
                #expect((node.powerState == .powerOff) == (results[node.id] == .some(nil)))
            }
            try await reopened.close()
        }
    }
}

// MARK: - Helpers

private func at(_ i: Int) -> Timestamp { Timestamp(sinceEpoch: .microseconds(1_700_000_000_000_000 + i)) }

private func node(_ id: String, name: String? = nil) -> Node {
    Node(id: id, name: name, driverInfo: DriverInfo(ipmiAddress: "127.0.0.1", ipmiPassword: "pw"), createdAt: at(0))
}

private func entry(_ id: String, _ i: Int, _ event: String) -> NodeHistoryEntry {
    NodeHistoryEntry(nodeID: id, at: at(i), severity: .info, eventType: .power, event: event)
}

/// Node `id` powered off, with one history line and one Nova event.
private func write(_ id: String, _ i: Int) -> NodeWrite {
    var changed = node(id)
    changed.powerState = .powerOff
    return NodeWrite(
        node: changed, history: [entry(id, i, "event \(i)")],
        novaEvents: [NovaPowerUpdate(serverUUID: "server-\(id)", tag: .powerOff, at: at(i))])
}

private func storeError(_ body: () async throws -> Void) async -> StoreError? {
    do {
        try await body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        return .unusable("unexpected \(error)")
    }
}

private func forEach(_ range: Range<Int>, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for i in range { group.addTask { try await body(i) } }
        try await group.waitForAll()
    }
}

/// A path in a fresh temporary directory, removed afterwards.
private func withStoreFile(_ body: (String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try await body(directory.appendingPathComponent("ferrum.sqlite").path)
}

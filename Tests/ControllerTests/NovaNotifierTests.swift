import Controller
import ControllerCore
import Foundation
import Testing

@Suite("NovaNotifier: the outbox delivered to a Nova stub on 127.0.0.1")
struct NovaNotifierTests {
    static let uuids = (0..<40).map { String(format: "00000000-0000-4000-8000-%012d", $0) }

    /// A store with `count` nodes, each with an instance.
    static func store(nodes count: Int) async throws -> InMemoryStore {
        let store = InMemoryStore()
        for index in 0..<count {
            try await store.create(Node(id: "node-\(index)", driverInfo: DriverInfo(ipmiAddress: "127.0.0.1"),
                                        instanceUUID: uuids[index], createdAt: .epoch), history: [])
        }
        return store
    }

    static func queue(_ store: InMemoryStore, _ changes: [(Int, NovaPowerUpdate.Tag)]) async throws {
        let nodes = try await store.loadNodes()
        try await store.commit(changes.map { index, tag in
            NodeWrite(node: nodes[index], novaEvents: [NovaPowerUpdate(serverUUID: uuids[index], tag: tag, at: .epoch)])
        })
    }

    /// Runs a notifier until `done` holds (or 20 s pass), then shuts it down.
    static func withNotifier(_ store: InMemoryStore, _ auth: NovaAuth, _ configuration: NovaNotifierConfiguration = fast,
                             until done: @escaping @Sendable () async throws -> Bool) async throws -> NovaNotifier {
        let notifier = NovaNotifier(store: store, client: URLSessionNovaClient(auth: auth), configuration: configuration)
        let running = Task { try await notifier.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(20)
        while try await !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return notifier
    }

    static let fast = NovaNotifierConfiguration(batchWindow: .milliseconds(50), noHostRetryDelay: .milliseconds(50),
                                                backOffBase: .milliseconds(50), backOffCap: .milliseconds(200),
                                                requestTimeout: .seconds(5))

    static func waitUntilSettled(_ store: InMemoryStore) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while try await pending(store) > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    static func pending(_ store: InMemoryStore) async throws -> Int { try await store.outbox(state: .pending, limit: .max).count }

    static func endpoint(_ port: Int) -> NovaAuth { .noauth(endpoint: URL(string: "http://127.0.0.1:\(port)/v2.1")!) }

    @Test("queued events go out in one request, are settled delivered, and get a history line")
    func deliversInOneRequest() async throws {
        let stub = NovaStub()
        let (server, port) = try await NovaStub.serve(stub)
        defer { server.cancel() }
        let store = try await Self.store(nodes: 3)
        try await Self.queue(store, [(0, .powerOn), (1, .powerOff), (2, .powerOn)])
        _ = try await Self.withNotifier(store, Self.endpoint(port)) { try await Self.pending(store) == 0 }
        #expect(await stub.requests.count == 1)
        #expect(await stub.delivered.count == 3)
        #expect(try await store.outbox(state: .delivered, limit: .max).count == 3)
        let history = try await store.history(nodeID: "node-1", limit: 10)
        #expect(history.last?.event == "Nova power-update POWER_OFF for instance \(Self.uuids[1]) (event 2) delivered")
        #expect(history.last?.eventType == .nova)
    }

    @Test("207 with mixed codes: 200 delivered, 404 dropped as not found")
    func mixedCodes() async throws {
        let stub = NovaStub()
        let missing = Self.uuids[1]
        await stub.setDecide { events in .codes(events.map { $0.instance == missing ? 404 : 200 }) }
        let (server, port) = try await NovaStub.serve(stub)
        defer { server.cancel() }
        let store = try await Self.store(nodes: 3)
        try await Self.queue(store, [(0, .powerOn), (1, .powerOff), (2, .powerOn)])
        _ = try await Self.withNotifier(store, Self.endpoint(port)) { try await Self.pending(store) == 0 }
        let dropped = try await store.outbox(state: .dropped, limit: .max)
        #expect(dropped.map(\.event.serverUUID) == [missing])
        #expect(dropped.first?.reason == NovaDropReason.instanceNotFound)
        #expect(try await store.outbox(state: .delivered, limit: .max).count == 2)
    }

    @Test("Nova down (connection refused), then up: everything delivered, newest per instance, nothing lost")
    func recoversAfterRefusal() async throws {
        // A port that was free a moment ago: nothing listens until the stub starts on it.
        let probe = NovaStub()
        let (probeServer, port) = try await NovaStub.serve(probe)
        probeServer.cancel()
        _ = await probeServer.result
        let store = try await Self.store(nodes: 3)
        try await Self.queue(store, [(0, .powerOn), (1, .powerOn)])
        let stub = NovaStub()
        let notifier = NovaNotifier(store: store, client: URLSessionNovaClient(auth: Self.endpoint(port)), configuration: Self.fast)
        let running = Task { try await notifier.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await Self.pending(store) >= 2, "nothing can be delivered while Nova is down")
        try await Self.queue(store, [(0, .powerOff), (2, .powerOff)])
        try await Task.sleep(for: .milliseconds(200))
        let (server, _) = try await NovaStub.serve(stub, port: port)
        defer { server.cancel() }
        try await Self.waitUntilSettled(store)
        #expect(try await Self.pending(store) == 0)
        let delivered = await stub.delivered
        var last: [String: String] = [:]
        for event in delivered { last[event.instance] = event.tag }
        #expect(last == [Self.uuids[0]: "POWER_OFF", Self.uuids[1]: "POWER_ON", Self.uuids[2]: "POWER_OFF"])
        let dropped = try await store.outbox(state: .dropped, limit: .max)
        #expect(dropped.allSatisfy { $0.reason?.hasPrefix("superseded by event") == true })
    }

    @Test("Keystone: a token from the catalog's internal endpoint; a 401 makes the notifier re-authenticate and resend")
    func reauthenticatesOn401() async throws {
        let stub = NovaStub()
        let (server, port) = try await NovaStub.serve(stub, keystone: true)
        defer { server.cancel() }
        let store = try await Self.store(nodes: 2)
        let settings = KeystoneSettings(authURL: URL(string: "http://127.0.0.1:\(port)")!,
                                        credential: .password(username: "ironic", password: "s3cret", userDomain: "Default",
                                                              project: "service", projectDomain: "Default"),
                                        region: "RegionOne")
        try await Self.queue(store, [(0, .powerOn)])
        let notifier = NovaNotifier(store: store, client: URLSessionNovaClient(auth: .keystone(settings)), configuration: Self.fast)
        let running = Task { try await notifier.run() }
        defer { running.cancel() }
        try await Self.waitUntilSettled(store)
        #expect(await stub.tokensIssued == 1)
        await stub.revokeToken()
        try await Self.queue(store, [(1, .powerOff)])
        try await Self.waitUntilSettled(store)
        #expect(try await Self.pending(store) == 0)
        #expect(await stub.tokensIssued == 2)
        #expect(await stub.delivered.map(\.instance) == [Self.uuids[0], Self.uuids[1]])
    }

    @Test("the body limit holds: many events are split into requests no larger than the configured cap")
    func bodyLimit() async throws {
        let stub = NovaStub()
        await stub.setBodyLimit(1_000)
        let (server, port) = try await NovaStub.serve(stub)
        defer { server.cancel() }
        let store = try await Self.store(nodes: 40)
        try await Self.queue(store, (0..<40).map { ($0, .powerOn) })
        var configuration = Self.fast
        configuration.maxBodyBytes = 1_000
        _ = try await Self.withNotifier(store, Self.endpoint(port), configuration) { try await Self.pending(store) == 0 }
        #expect(try await store.outbox(state: .delivered, limit: .max).count == 40)
        let sizes = await stub.bodySizes
        #expect(sizes.count > 1 && sizes.allSatisfy { $0 <= 1_000 }, "\(sizes)")
    }

    @Test("[nova] options: Keystone settings from the file; auth_type = none needs endpoint_override")
    func configuration() throws {
        let loaded = try ControllerConfiguration.load(text: """
            [nova]
            auth_type = v3applicationcredential
            auth_url = http://keystone:5000
            application_credential_id = ac1
            application_credential_secret = s3cret
            region_name = RegionTwo
            valid_interfaces = public, internal
            timeout = 10
            batch_window = 0.25
            """, baseDirectory: "/etc/ferrum")
        let settings = KeystoneSettings(authURL: URL(string: "http://keystone:5000")!,
                                        credential: .applicationCredential(id: "ac1", secret: "s3cret"),
                                        region: "RegionTwo", interfaces: ["public", "internal"])
        #expect(try NovaAuth(loaded.nova) == .keystone(settings))
        #expect(NovaNotifierConfiguration(loaded.nova).requestTimeout == .seconds(10))
        #expect(NovaNotifierConfiguration(loaded.nova).batchWindow == .milliseconds(250))
        #expect(throws: ConfigurationError.self) {
            try ControllerConfiguration.load(text: "[nova]\nauth_type = none\n", baseDirectory: "/etc/ferrum")
        }
        #expect(try NovaAuth(ControllerConfiguration().nova) == nil, "no auth_type, no notifier")
    }

    @Test("SQLiteStore: outbox(after:) reads pending rows past a watermark; settle writes outcomes and history at once")
    func sqliteOutbox() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-nova-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("f.sqlite").path)
        let node = Node(id: "node-0", driverInfo: DriverInfo(ipmiAddress: "127.0.0.1"), instanceUUID: Self.uuids[0], createdAt: .epoch)
        try await store.create(node, history: [])
        try await store.commit((0..<3).map { _ in
            NodeWrite(node: node, novaEvents: [NovaPowerUpdate(serverUUID: Self.uuids[0], tag: .powerOn, at: .epoch)])
        })
        #expect(try await store.outbox(after: 1, limit: 10).map(\.id) == [2, 3])
        let events = try await store.outbox(after: 0, limit: 10).map { NovaPendingEvent(id: $0.id, nodeID: $0.nodeID, update: $0.event) }
        try await store.settle([
            NovaSettlement(event: events[0], outcome: .dropped(reason: NovaDropReason.superseded(by: 3)), severity: .info),
            NovaSettlement(event: events[2], outcome: .delivered, severity: .info),
        ], at: .epoch)
        #expect(try await store.outbox(after: 0, limit: 10).map(\.id) == [2])
        #expect(try await store.outbox(state: .dropped, limit: 10).first?.reason == "superseded by event 3")
        let history = try await store.history(nodeID: "node-0", limit: 10).map(\.event)
        #expect(history.suffix(2) == ["Nova power-update POWER_ON for instance \(Self.uuids[0]) (event 1) dropped: superseded by event 3",
                                      "Nova power-update POWER_ON for instance \(Self.uuids[0]) (event 3) delivered"])
        try await store.close()
    }
}

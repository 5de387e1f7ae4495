import Controller
import ControllerCore
import Foundation
import Logging
import Simulation
import VirtualBMC
import VirtualBMCCore

/// Issue 6's delivery target: 10,000 power changes found by one sync pass reach Nova in ≤ 10 requests, within
/// 1 s of detection. Everything runs in this process: an in-process VirtualBMC fleet, the controller (SQLite store,
/// persistent sessions, force_power_state_during_sync = false so the pass records what it finds), the production
/// `NovaNotifier` with `URLSessionNovaClient`, and a `FakeNovaServer` with Keystone on 127.0.0.1.
public enum NovaBenchmark {
    public struct Options: Sendable {
        public var count: Int
        public var basePort: Int
        /// Measured flips; each presses every BMC's power button, then runs one sync pass.
        public var runs: Int
        public var concurrency: Int
        /// `ferrum serve`'s defaults unless changed.
        public var notifier: NovaNotifierConfiguration

        public init(count: Int = 10_000, basePort: Int = 20000, runs: Int = 5, concurrency: Int = 1000,
                    notifier: NovaNotifierConfiguration = NovaNotifierConfiguration(ControllerConfiguration.Nova())) {
            self.count = count
            self.basePort = basePort
            self.runs = max(1, runs)
            self.concurrency = max(1, concurrency)
            self.notifier = notifier
        }
    }

    public static func run(_ options: Options) async throws -> String {
        let count = options.count
        let novaCost = fakeNovaCost(events: min(count, options.notifier.maxEventsPerRequest))
        log(String(format: "fake Nova alone: %.1f ms per request of %d events", novaCost * 1000, min(count, options.notifier.maxEventsPerRequest)))
        log("starting \(count) BMCs, fake Nova with \(count) stopped instances")
        let fleet = try await Fleet.start(try FleetConfiguration.generated(count: count, basePort: options.basePort))
        let nova = FakeNovaServer(FakeNova())
        await nova.update { nova in
            for index in 0..<count {
                nova.add(FakeNovaInstance(uuid: instanceUUID(index), vmState: "stopped",
                                          powerState: FakeNovaInstance.shutdown, host: "compute-1"))
            }
        }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let novaTask = Task { try await nova.serve(port: 0) { portSink.yield($0) } }
        var portIterator = ports.makeAsyncIterator()
        guard let port = await portIterator.next() else { throw BenchmarkError("the fake Nova did not start") }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-nova-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "ferrum.bench.nova")
        logger.logLevel = .warning
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("ferrum.sqlite").path, logger: logger)
        let client = BMCClient(configuration: BMCClientConfiguration(
            scheduling: BMCSchedulingConfiguration(maximumInFlight: options.concurrency), persistentSessions: true))
        try await client.start()
        let controller = PowerController(
            store: store, driver: BMCPowerDriver(client: client),
            configuration: PowerControllerConfiguration(powerSync: PowerSyncConfiguration(forcePowerStateDuringSync: false),
                                                        syncWorkers: options.concurrency),
            logger: logger)
        let keystone = KeystoneSettings(
            authURL: URL(string: "http://127.0.0.1:\(port)")!,
            credential: .password(username: "ironic", password: "secret", userDomain: "Default", project: "service",
                                  projectDomain: "Default"))
        let novaClient = RecordingNovaClient(URLSessionNovaClient(auth: .keystone(keystone)))
        let notifier = NovaNotifier(store: store, client: novaClient, configuration: options.notifier, logger: logger,
                                    doorbell: controller.outboxDoorbell)
        var runs: [NovaRun] = []
        var storeCost = StoreCost(seconds: 0, transactions: 0)
        do {
            try await controller.start()
            try await enrol(count, basePort: options.basePort, into: controller)
            // Steady state, as a long-running controller has it: sessions open, a Keystone token cached.
            let warmUp = await controller.syncPass()
            guard warmUp.inSync == count else { throw BenchmarkError("warm-up pass: \(warmUp)") }
            try await novaClient.authenticate()
            storeCost = try await measureStore(store, controller: controller, concurrency: options.concurrency)
            log("store alone: \(count) node writes with an outbox row each in \(String(format: "%.3f", storeCost.seconds)) s, "
                + "\(storeCost.transactions) transactions")
            let notifierTask = Task { try await notifier.run() }
            defer { notifierTask.cancel() }
            for index in 0..<options.runs {
                let run = try await NovaRun.measure(
                    fleet: fleet, controller: controller, store: store, nova: nova, client: novaClient,
                    count: count, expecting: index % 2 == 0 ? .powerOn : .powerOff)
                log("run \(index + 1): \(run.summary)")
                runs.append(run)
            }
        } catch {
            await shutdown(client: client, store: store, fleet: fleet, novaTask: novaTask)
            throw error
        }
        await shutdown(client: client, store: store, fleet: fleet, novaTask: novaTask)
        return report(runs, storeCost: storeCost, novaCost: novaCost, options: options)
    }

    /// The fake Nova's own work for one full request (validation, per-event answers, applying the events), without
    /// HTTP: the median of five calls on the value, in seconds.
    static func fakeNovaCost(events: Int) -> Double {
        var nova = FakeNova()
        var updates: [NovaPowerUpdate] = []
        for index in 0..<events {
            nova.add(FakeNovaInstance(uuid: instanceUUID(index), vmState: "stopped", powerState: FakeNovaInstance.shutdown,
                                      host: "compute-1"))
            updates.append(NovaPowerUpdate(serverUUID: instanceUUID(index), tag: .powerOn, at: .epoch))
        }
        let body = NovaEventBody.body(updates)
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<5 {
            var copy = nova
            let start = clock.now
            _ = copy.handleExternalEvents(body: body, microversion: "compute 2.76")
            times.append(FleetBenchmark.secondsIn(clock.now - start))
        }
        return times.sorted()[2]
    }

    struct StoreCost: Sendable {
        var seconds: Double
        var transactions: Int
    }

    /// The pass's writes without the BMC reads: every node rewritten as it is, with one history line and one outbox
    /// row, by `concurrency` callers at a time (as the sync workers commit). The rows are settled at once so the
    /// notifier never sees them.
    static func measureStore(_ store: SQLiteStore, controller: PowerController, concurrency: Int) async throws -> StoreCost {
        let nodes = await controller.nodes()
        let before = await store.transactionsCommitted
        let clock = ContinuousClock()
        let start = clock.now
        let now = controller.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, node) in nodes.enumerated() {
                if index >= concurrency { _ = try await group.next() }
                let history = NodeHistoryEntry(nodeID: node.id, at: now, severity: .info, eventType: .power,
                                               event: "store benchmark")
                let event = NovaPowerUpdate(serverUUID: "not-a-uuid", tag: .powerOff, at: now)
                group.addTask { try await store.commit([NodeWrite(node: node, history: [history], novaEvents: [event])]) }
            }
            try await group.waitForAll()
        }
        let seconds = FleetBenchmark.secondsIn(clock.now - start)
        let transactions = await store.transactionsCommitted - before
        let ids = try await store.outbox(state: .pending, limit: .max).map(\.id)
        try await store.settle(ids, as: .dropped, reason: "store benchmark")
        return StoreCost(seconds: seconds, transactions: transactions)
    }

    /// Instance `i` of the fake Nova; node `i` (BMC port `basePort + i`) carries it.
    static func instanceUUID(_ index: Int) -> String { String(format: "10000000-0000-4000-8000-%012lx", index) }

    /// Active nodes, recorded off like their BMCs, each with its instance.
    static func enrol(_ count: Int, basePort: Int, into controller: PowerController) async throws {
        let createdAt = controller.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= 1000 { _ = try await group.next() }
                let node = Node(id: String(format: "00000000-0000-4000-8000-%012ld", index), name: "node-\(index)",
                                driverInfo: DriverInfo(ipmiAddress: "127.0.0.1", ipmiPort: UInt16(basePort + index),
                                                       ipmiUsername: "admin", ipmiPassword: "password"),
                                powerState: .powerOff, provisionState: .active, instanceUUID: instanceUUID(index),
                                createdAt: createdAt)
                group.addTask { _ = try await controller.enroll(node) }
            }
            try await group.waitForAll()
        }
    }

    static func shutdown(client: BMCClient, store: SQLiteStore, fleet: Fleet, novaTask: Task<Void, any Error>) async {
        await client.shutdown()
        try? await store.close()
        await fleet.shutdown()
        novaTask.cancel()
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data("[bench nova] \(message)\n".utf8))
    }
}

import Controller
import ControllerCore
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// glibc's `malloc_trim`, which its Swift module does not export; a no-op where it is missing.
func trimHeap() {
    #if canImport(Glibc)
    typealias Trim = @convention(c) (Int) -> Int32
    if let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") { _ = unsafeBitCast(symbol, to: Trim.self)(0) }
    #endif
}

/// The controller's side of the sync benchmark: a `PowerController` over a SQLite store and one `BMCClient`.
struct ControllerRun: Sendable {
    var persistentSessions: Bool
    /// The first pass, which records every node's state (N durable writes through group commit), in seconds.
    var firstPass: Double
    /// Write transactions the first pass committed.
    var firstPassTransactions: Int
    /// The timed passes after it. With fresh sessions each runs until the last Close Session is answered.
    var passes: [Double]
    /// The same passes as the controller timed them (without waiting for the last closes).
    var passesAsReported: [Double]
    var readFailures: Int
    var nodesOn: Int
    var nodesOff: Int
    /// The fewest nodes any pass checked.
    var nodesChecked: Int
    /// Sessions open after the passes, and the RSS growth per node they and the controller cost.
    var sessionsOpen: Int
    var bytesPerNode: Double
    /// The same growth measured once the nodes were loaded or enrolled, before any session.
    var bytesPerNodeWithoutSessions: Double

    var median: Double { Self.median(passes) }
    var best: Double { passes.min() ?? 0 }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Opens the store at `storePath` (enrolling the fleet if it is empty), runs the first pass and the timed ones.
    static func measure(count: Int, options: SyncBenchmark.Options, storePath: String, persistent: Bool) async throws -> ControllerRun {
        // What earlier runs freed goes back to the system first, so the growth measured is this run's.
        trimHeap()
        let before = ownResidentBytes()
        var logger = Logger(label: "ferrum.bench.sync")
        logger.logLevel = .warning
        let store = try await SQLiteStore.open(path: storePath, logger: logger)
        let client = BMCClient(configuration: BMCClientConfiguration(
            scheduling: BMCSchedulingConfiguration(maximumInFlight: options.concurrency), persistentSessions: persistent))
        try await client.start()
        let controller = PowerController(store: store, driver: BMCPowerDriver(client: client),
                                         configuration: PowerControllerConfiguration(syncWorkers: options.concurrency),
                                         logger: logger)
        do {
            try await controller.start()
            if await controller.nodeCount == 0 { try await enrol(count, basePort: options.basePort, into: controller) }
            let loaded = ownResidentBytes()
            let transactions = await store.transactionsCommitted
            var failures = 0
            let (firstReport, first, _) = await pass(controller, client, persistent: persistent)
            failures += firstReport.readFailures + firstReport.enteredMaintenance + firstReport.overtaken
            let firstTransactions = await store.transactionsCommitted - transactions
            var passes: [Double] = [], reported: [Double] = []
            var checked = firstReport.checked
            for _ in 0..<options.passes {
                let (report, took, asReported) = await pass(controller, client, persistent: persistent)
                failures += report.readFailures + report.enteredMaintenance + report.overtaken
                checked = min(checked, report.checked)
                passes.append(took)
                reported.append(asReported)
            }
            let after = ownResidentBytes()
            let sessions = await client.sessionCount
            let nodes = await controller.nodes()
            await client.shutdown()
            try await store.close()
            return ControllerRun(persistentSessions: persistent, firstPass: first, firstPassTransactions: firstTransactions,
                                 passes: passes, passesAsReported: reported, readFailures: failures,
                                 nodesOn: nodes.filter { $0.powerState == .powerOn }.count,
                                 nodesOff: nodes.filter { $0.powerState == .powerOff }.count,
                                 nodesChecked: checked, sessionsOpen: sessions, bytesPerNode: Double(after - before) / Double(count),
                                 bytesPerNodeWithoutSessions: Double(loaded - before) / Double(count))
        } catch {
            await client.shutdown()
            try? await store.close()
            throw error
        }
    }

    /// Enrols node i for the BMC on `basePort + i`, many at a time so their inserts share transactions.
    static func enrol(_ count: Int, basePort: Int, into controller: PowerController) async throws {
        let createdAt = Timestamp(sinceEpoch: .seconds(Int64(Date().timeIntervalSince1970)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= 1000 { _ = try await group.next() }
                let node = Node(id: String(format: "00000000-0000-4000-8000-%012ld", index), name: "node-\(index)",
                                driverInfo: DriverInfo(ipmiAddress: "127.0.0.1", ipmiPort: UInt16(basePort + index),
                                                       ipmiUsername: "admin", ipmiPassword: "password"),
                                provisionState: .active, createdAt: createdAt)
                group.addTask { _ = try await controller.enroll(node) }
            }
            try await group.waitForAll()
        }
    }

    /// One sync pass: its report, its time in seconds (for fresh sessions, until every session is closed again),
    /// and its time as the controller saw it.
    static func pass(_ controller: PowerController, _ client: BMCClient, persistent: Bool) async
        -> (SyncPassReport, Double, Double)
    {
        let clock = ContinuousClock()
        let start = clock.now
        let report = await controller.syncPass()
        let reported = FleetBenchmark.secondsIn(clock.now - start)
        if !persistent {
            while await client.sessionCount > 0 { try? await Task.sleep(for: .milliseconds(1)) }
        }
        return (report, FleetBenchmark.secondsIn(clock.now - start), reported)
    }
}

import Controller
import ControllerCore
import Foundation
import Simulation
import Synchronization
import VirtualBMC

/// One measured flip: every BMC's power button is pressed behind the controller's back, one sync pass records the
/// changes (each outbox row's time is that event's detection time), and the notifier delivers them to the fake Nova.
struct NovaRun: Sendable {
    var target: PowerState
    var pass: SyncPassReport
    var passSeconds: Double
    var passTransactions: Int
    /// Outbox rows the pass wrote.
    var events: Int
    var firstDetection: Date
    var lastDetection: Date
    /// The answer to the last request: every event of the run is delivered.
    var lastDelivery: Date
    /// The outbox had no pending row left (the notifier settled the last request durably).
    var settled: Date
    /// Requests of this run: when each went out, when Nova answered, events in it, body size.
    var requests: [RecordingNovaClient.Sent]
    /// Per event: its request's answer minus its outbox row time, in seconds.
    var latencies: [Double]
    /// What the fake Nova saw: events received, answered 200 and applied by its "compute"; distinct requests.
    var novaReceived: Int
    var novaAccepted: Int
    var novaApplied: Int
    var novaRequests: Int

    /// First detection to the last event delivered: the issue's number.
    var span: Double { lastDelivery.timeIntervalSince(firstDetection) }
    /// Last detection (the pass's last recorded change) to the last event delivered.
    var tail: Double { lastDelivery.timeIntervalSince(lastDetection) }
    var settleSpan: Double { settled.timeIntervalSince(firstDetection) }
    var detectionSpread: Double { lastDetection.timeIntervalSince(firstDetection) }

    var summary: String {
        String(format: "%d events in %d requests; detection→last delivery %.3f s (detections spread over %.3f s, "
               + "last detection→last delivery %.3f s, settled %.3f s); pass %.3f s in %d transactions",
               events, requests.count, span, detectionSpread, tail, settleSpan, passSeconds, passTransactions)
    }

    static func measure(fleet: Fleet, controller: PowerController, store: SQLiteStore, nova: FakeNovaServer,
                        client: RecordingNovaClient, count: Int, expecting target: PowerState) async throws -> NovaRun {
        let before = try await store.outbox(state: nil, limit: .max).last?.id ?? 0
        let receivedBefore = await nova.nova.received.count
        _ = client.take()
        for index in 0..<count { try fleet.pressPowerButton("bmc-\(index)") }
        let wrong = fleet.list().filter { $0.reportedPowerOn != (target == .powerOn) }.map(\.name)
        guard wrong.isEmpty else { throw BenchmarkError("after the button presses, \(wrong.count) BMCs are not \(target): \(wrong.prefix(5))") }
        let transactions = await store.transactionsCommitted
        let clock = ContinuousClock()
        let passStart = clock.now
        let pass = await controller.syncPass()
        let passSeconds = FleetBenchmark.secondsIn(clock.now - passStart)
        let passTransactions = await store.transactionsCommitted - transactions
        guard pass.recorded == count else {
            let missed = await controller.nodes().filter { $0.powerState != target }.map(\.id)
            let bmcs = missed.prefix(3).compactMap { id in Int(id.suffix(12)).flatMap { try? fleet.show("bmc-\($0)") } }
            throw BenchmarkError("the pass recorded \(pass.recorded) of \(count) changes: \(pass); not \(target): "
                + "\(missed.prefix(3)), BMCs \(bmcs.map { "\($0.name) on=\($0.powerOn) reported=\($0.reportedPowerOn)" })")
        }
        // Polls only memory until the last answer, then the store (whose connection the pass no longer needs).
        let deadline = clock.now + .seconds(120)
        while client.deliveredCount < count {
            guard clock.now < deadline else { throw BenchmarkError("only \(client.deliveredCount) of \(count) events delivered") }
            try await Task.sleep(for: .milliseconds(1))
        }
        while try await !store.outbox(after: before, limit: 1).isEmpty {
            guard clock.now < deadline else { throw BenchmarkError("the outbox still has pending events") }
            try await Task.sleep(for: .milliseconds(1))
        }
        let settled = Date()
        // A pass that finds every node in sync clears the mismatch counts, or the fourth flip in a row would put
        // every node in maintenance (power_state_sync_max_retries).
        let settle = await controller.syncPass()
        guard settle.inSync == count else { throw BenchmarkError("the pass after the run: \(settle)") }
        let rows = try await store.outbox(state: nil, limit: .max).filter { $0.id > before }
        let requests = client.take()
        let received = await nova.nova.received.dropFirst(receivedBefore)
        return NovaRun(target: target, pass: pass, passSeconds: passSeconds, passTransactions: passTransactions,
                       rows: rows, requests: requests, settled: settled, received: Array(received))
    }

    private init(target: PowerState, pass: SyncPassReport, passSeconds: Double, passTransactions: Int, rows: [OutboxEvent],
                 requests: [RecordingNovaClient.Sent], settled: Date, received: [FakeNovaReceivedEvent]) {
        self.target = target
        self.pass = pass
        self.passSeconds = passSeconds
        self.passTransactions = passTransactions
        self.events = rows.count
        let detections = rows.map { Self.date($0.event.at) }
        firstDetection = detections.min() ?? settled
        lastDetection = detections.max() ?? settled
        lastDelivery = requests.map(\.answeredAt).max() ?? settled
        self.settled = settled
        self.requests = requests
        var answered: [String: Date] = [:]
        for request in requests { for uuid in Self.serverUUIDs(request.body) { answered[uuid] = request.answeredAt } }
        latencies = rows.compactMap { row in answered[row.event.serverUUID].map { $0.timeIntervalSince(Self.date(row.event.at)) } }
        novaReceived = received.count
        novaAccepted = received.filter { $0.code == 200 }.count
        novaApplied = received.filter { $0.outcome == .applied }.count
        novaRequests = Set(received.map(\.request)).count
    }

    static func date(_ timestamp: Timestamp) -> Date {
        let (seconds, attoseconds) = timestamp.sinceEpoch.components
        return Date(timeIntervalSince1970: Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// The instances of a body the notifier built (`NovaEventBody`: compact, canonical uuids).
    static func serverUUIDs(_ body: [UInt8]) -> [String] {
        let key = Array(#""server_uuid":""#.utf8)
        var uuids: [String] = []
        var index = 0
        while index + key.count + 36 <= body.count {
            if body[index] == key[0], Array(body[index..<index + key.count]) == key {
                let start = index + key.count
                uuids.append(String(decoding: body[start..<start + 36], as: UTF8.self))
                index = start + 36
            } else {
                index += 1
            }
        }
        return uuids
    }
}

/// The production client, timing each request from the notifier's side.
final class RecordingNovaClient: NovaClient {
    struct Sent: Sendable {
        var body: [UInt8]
        var sentAt: Date
        var answeredAt: Date
        /// Events Nova answered 200 for.
        var delivered: Int
    }

    private let inner: any NovaClient
    private let sent = Mutex<[Sent]>([])

    init(_ inner: any NovaClient) { self.inner = inner }

    func send(body: [UInt8], timeout: Duration) async -> NovaRequestResult {
        let sentAt = Date()
        let result = await inner.send(body: body, timeout: timeout)
        let answeredAt = Date()
        let delivered = if case .perEvent(let codes) = result { codes.filter { $0 == 200 }.count } else { 0 }
        sent.withLock { $0.append(Sent(body: body, sentAt: sentAt, answeredAt: answeredAt, delivered: delivered)) }
        return result
    }

    func authenticate() async throws { try await inner.authenticate() }

    func server(_ instanceUUID: String, timeout: Duration) async -> NovaServerLookup {
        await inner.server(instanceUUID, timeout: timeout)
    }

    var deliveredCount: Int { sent.withLock { $0.reduce(0) { $0 + $1.delivered } } }

    /// The requests so far, forgetting them.
    func take() -> [Sent] {
        sent.withLock { sent in
            defer { sent = [] }
            return sent
        }
    }
}

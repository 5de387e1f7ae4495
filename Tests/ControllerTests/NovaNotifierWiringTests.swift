import Controller
import ControllerCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

/// How the notifier is wired into the controller: the outbox doorbell, and a configuration error in /health and
/// /metrics.
@Suite("NovaNotifier wiring: doorbell, /health, /metrics")
struct NovaNotifierWiringTests {
    @Test("the doorbell wakes the notifier: with a 60 s safety poll, a power action's event reaches Nova in seconds")
    func doorbellWakesNotifier() async throws {
        let stub = NovaStub()
        let (server, port) = try await NovaStub.serve(stub)
        defer { server.cancel() }
        try await withController(count: 1, customize: { $0[0].powerOn = true }, nodes: nodesWithInstances) { harness in
            try await withNotifier(harness.store, NovaNotifierTests.endpoint(port), doorbell: harness.controller.outboxDoorbell,
                                   pollInterval: .seconds(60)) { _ in
                // Let the start-up read find an empty outbox, so only a ring can bring the new row.
                try await Task.sleep(for: .milliseconds(300))
                let start = ContinuousClock.now
                try await harness.controller.requestPowerAction(.powerOff, on: harness.nodeID(0))
                try await eventually("the event reached Nova", timeout: .seconds(20)) { await !stub.delivered.isEmpty }
                #expect(ContinuousClock.now - start < .seconds(20))
                #expect(await stub.delivered == [NovaStub.Received(instance: fakeInstanceUUID(0), tag: "POWER_OFF")])
            }
        }
    }

    @Test("the safety poll: rows committed without a ring (another process) are still read")
    func safetyPollReadsUnrungRows() async throws {
        let stub = NovaStub()
        let (server, port) = try await NovaStub.serve(stub)
        defer { server.cancel() }
        let store = try await NovaNotifierTests.store(nodes: 1)
        try await withNotifier(store, NovaNotifierTests.endpoint(port), doorbell: OutboxDoorbell(),
                               pollInterval: .milliseconds(200)) { _ in
            try await Task.sleep(for: .milliseconds(100))
            try await NovaNotifierTests.queue(store, [(0, .powerOn)])
            try await eventually("the event reached Nova", timeout: .seconds(20)) { await !stub.delivered.isEmpty }
        }
        #expect(await stub.delivered.count == 1)
    }

    @Test("the doorbell: every subscriber hears a ring; rings while a subscriber is busy fold into one")
    func doorbellSemantics() async throws {
        let doorbell = OutboxDoorbell()
        let subscriptions = [doorbell.rings(), doorbell.rings()]
        for _ in 0..<3 { doorbell.ring() }
        let counters = subscriptions.map { rings in
            Task { var heard = 0; for await _ in rings { heard += 1 }; return heard }
        }
        try await Task.sleep(for: .milliseconds(200))
        for counter in counters { counter.cancel() }
        for counter in counters { #expect(await counter.value == 1) }
    }

    @Test("403 from Nova: /health says degraded with Nova's reason and the gauge reads 1, until Nova accepts again")
    func configurationErrorSurfaced() async throws {
        let stub = NovaStub()
        await stub.setDecide { _ in .status(403, #"{"forbidden":{"code":403,"message":"Policy doesn't allow os_compute_api:os-server-external-events:create to be performed."}}"#) }
        let (server, port) = try await NovaStub.serve(stub)
        defer { server.cancel() }
        try await withController(count: 1, customize: { $0[0].powerOn = true }, nodes: nodesWithInstances) { harness in
            var configuration = NovaNotifierTests.fast
            configuration.backOffCap = .milliseconds(300)
            try await withNotifier(harness.store, NovaNotifierTests.endpoint(port), configuration: configuration,
                                   metrics: harness.controller.metrics, doorbell: harness.controller.outboxDoorbell) { notifier in
                try await withAPI(harness.controller, nova: notifier) { base in
                    let (_, healthy) = try await httpJSON("GET", "\(base)/health")
                    #expect(Self.nova(healthy)?["status"] as? String == "ok")
                    #expect(try await Self.gauge(base) == 0)

                    try await harness.controller.requestPowerAction(.powerOff, on: harness.nodeID(0))
                    try await eventually("the notifier reports the error") { await notifier.configurationError != nil }
                    let (status, body) = try await httpJSON("GET", "\(base)/health")
                    #expect(status == 200)
                    #expect((body as? [String: Any])?["status"] as? String == "degraded")
                    let nova = Self.nova(body)
                    #expect(nova?["status"] as? String == "error")
                    #expect((nova?["error"] as? String)?.contains("403") == true, "\(nova ?? [:])")
                    #expect((nova?["error"] as? String)?.contains("Policy doesn't allow") == true, "\(nova ?? [:])")
                    #expect(try await Self.gauge(base) == 1)

                    await stub.setDecide { .codes(Array(repeating: 200, count: $0.count)) }
                    try await eventually("the error clears") { await notifier.configurationError == nil }
                    let (_, cleared) = try await httpJSON("GET", "\(base)/health")
                    #expect((cleared as? [String: Any])?["status"] as? String == "ok")
                    #expect(Self.nova(cleared)?["status"] as? String == "ok")
                    #expect(try await Self.gauge(base) == 0)
                    #expect(await stub.delivered.count == 1)
                }
            }
            try await withAPI(harness.controller) { base in
                let (_, body) = try await httpJSON("GET", "\(base)/health")
                #expect(Self.nova(body)?["status"] as? String == "disabled", "no notifier")
            }
        }
    }

    static func nova(_ health: Any?) -> [String: Any]? { (health as? [String: Any])?["nova"] as? [String: Any] }

    static func gauge(_ base: String) async throws -> Double? {
        var request = URLRequest(url: URL(string: "\(base)/metrics")!)
        request.timeoutInterval = 10
        let (data, _) = try await URLSession.shared.data(for: request)
        return try PrometheusText(String(decoding: data, as: UTF8.self))["ferrum_nova_configuration_error"]
    }
}

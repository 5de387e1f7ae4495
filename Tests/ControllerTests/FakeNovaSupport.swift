import Controller
import ControllerCore
import Foundation
import Logging
import Simulation
import Testing
import TestSupport
import VirtualBMCCore

/// The Simulation module's fake Nova (with its Keystone) on 127.0.0.1, inspected over HTTP as an operator would.
struct FakeNovaHandle {
    let server: FakeNovaServer
    let base: String

    /// Keystone password auth against the fake; the catalog points at the fake's compute endpoint.
    var keystone: NovaAuth {
        .keystone(KeystoneSettings(authURL: URL(string: base)!,
                                   credential: .password(username: "ironic", password: "s3cret", userDomain: "Default",
                                                         project: "service", projectDomain: "Default"),
                                   region: "RegionOne"))
    }

    func faults(_ faults: [String: any Sendable]) async throws {
        let (status, _) = try await httpJSON("PUT", base + "/_fake/faults", faults, headers: [:])
        #expect(status == 200)
    }

    /// `/_fake/events`: every validated event, in arrival order.
    func events() async throws -> [[String: Any]] {
        let (_, body) = try await httpJSON("GET", base + "/_fake/events", headers: [:])
        return (body as? [String: Any])?["events"] as? [[String: Any]] ?? []
    }

    /// `/_fake/instances` by uuid.
    func instances() async throws -> [String: [String: Any]] {
        let (_, body) = try await httpJSON("GET", base + "/_fake/instances", headers: [:])
        let list = (body as? [String: Any])?["instances"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: list.compactMap { item in (item["uuid"] as? String).map { ($0, item) } })
    }

    func powerState(_ uuid: String) async throws -> Int? { try await instances()[uuid]?["power_state"] as? Int }
}

/// Instance `i` of the fake: `00000000-0000-4000-8000-<i>`, as `ferrum nova-sim serve --instances` names them.
func fakeInstanceUUID(_ index: Int) -> String { String(format: "00000000-0000-4000-8000-%012d", index) }

func runningInstance(_ uuid: String, host: String? = "compute-1", on: Bool = true) -> FakeNovaInstance {
    FakeNovaInstance(uuid: uuid, vmState: on ? "active" : "stopped",
                     powerState: on ? FakeNovaInstance.running : FakeNovaInstance.shutdown, host: host)
}

/// Runs `body` with a fake Nova serving `instances` on a free port, and stops it on every path.
func withFakeNova(_ instances: [FakeNovaInstance], _ body: (FakeNovaHandle) async throws -> Void) async throws {
    var nova = FakeNova()
    for instance in instances { nova.add(instance) }
    let server = FakeNovaServer(nova)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let task = Task { try await server.serve(port: 0) { continuation.yield($0) } }
    defer { task.cancel() }
    var iterator = ports.makeAsyncIterator()
    let port = try #require(await iterator.next())
    try await body(FakeNovaHandle(server: server, base: "http://127.0.0.1:\(port)"))
}

/// A notifier with test timings (short windows and back-offs) that runs while `body` does.
func withNotifier(_ store: any ControllerStore, _ auth: NovaAuth, configuration: NovaNotifierConfiguration = NovaNotifierTests.fast,
                  metrics: ControllerMetrics = ControllerMetrics(), doorbell: OutboxDoorbell? = nil,
                  pollInterval: Duration? = nil, cafile: String? = nil,
                  _ body: (NovaNotifier) async throws -> Void) async throws {
    var logger = Logger(label: "test.nova")
    logger.logLevel = .critical
    let notifier = NovaNotifier(store: store, client: URLSessionNovaClient(auth: auth, cafile: cafile),
                                configuration: configuration, logger: logger, metrics: metrics, doorbell: doorbell,
                                pollInterval: pollInterval)
    let running = Task { try await notifier.run() }
    defer { running.cancel() }
    try await body(notifier)
}

/// Polls `condition` every 50 ms; records an issue and throws when `timeout` passes first.
func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("not within \(timeout): \(what)")
    throw CancellationError()
}

func pendingCount(_ store: any ControllerStore) async throws -> Int { try await store.outbox(state: .pending, limit: .max).count }

/// Nodes recorded `power on` with an instance each (uuid from `fakeInstanceUUID`), active, over the harness's BMCs.
func nodesWithInstances(_ specs: [BMCSpec]) -> [Node] {
    specs.enumerated().map { index, spec in
        var node = makeNode(index, spec: spec, powerState: .powerOn)
        node.instanceUUID = fakeInstanceUUID(index)
        return node
    }
}

import Controller
import ControllerCore
import Foundation
import Logging
import Simulation

/// The demo's Nova: the fake Nova (with its Keystone) in this process, one instance per node, and the notifier
/// that drains the controller's outbox into it.
struct NovaDemo {
    let server: FakeNovaServer
    let base: String
    let serving: Task<Void, any Error>

    /// Instance `i` is `00000000-0000-4000-8000-<i>`, as `ferrum nova-sim serve --instances` names them.
    static func instanceUUID(_ index: Int) -> String { String(format: "00000000-0000-4000-8000-%012d", index) }

    static func start(instances count: Int) async throws -> NovaDemo {
        var nova = FakeNova()
        for index in 0..<count {
            nova.add(FakeNovaInstance(uuid: instanceUUID(index), vmState: "active", powerState: FakeNovaInstance.running,
                                      host: "compute-1"))
        }
        let server = FakeNovaServer(nova)
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        let serving = Task { try await server.serve(port: 0, logLevel: .critical) { sink.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return NovaDemo(server: server, base: "http://127.0.0.1:\(port)", serving: serving)
    }

    /// Keystone password auth, as `[nova] auth_type = password` configures it; the catalog leads to the fake.
    func notifier(store: any ControllerStore, controller: PowerController, logger: Logger) -> NovaNotifier {
        let auth = NovaAuth.keystone(KeystoneSettings(
            authURL: URL(string: base)!,
            credential: .password(username: "ironic", password: "demo", userDomain: "Default", project: "service",
                                  projectDomain: "Default"),
            region: "RegionOne"))
        return NovaNotifier(store: store, client: URLSessionNovaClient(auth: auth), logger: logger, metrics: controller.metrics,
                            doorbell: controller.outboxDoorbell)
    }

    /// "active, power_state 1 (running)" as Nova holds the instance.
    func instance(_ uuid: String) async -> String {
        guard let row = await server.update({ $0.instances[uuid] }) else { return "unknown" }
        let power = row.powerState == FakeNovaInstance.running ? "running" : row.powerState == FakeNovaInstance.shutdown ? "shutdown" : "?"
        return "\(row.vmState), power_state \(row.powerState) (\(power))"
    }

    /// Requests that reached the external-events API, and the events they carried.
    func received() async -> (requests: Int, events: Int) {
        await server.update { nova in (Set(nova.received.map(\.request)).count, nova.received.count) }
    }

    func stop() { serving.cancel() }
}

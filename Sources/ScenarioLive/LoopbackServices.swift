import Controller
import ControllerCore
import Foundation
import Hummingbird
import Logging
import Simulation

/// Servers on 127.0.0.1 with a free port each, started in a task and handed back once bound: the set-up the demo
/// and the live scenario mode share.
public enum LoopbackServices {
    /// A running server: its base URL and the task to cancel to stop it.
    public struct Running: Sendable {
        public let base: String
        public let task: Task<Void, any Error>

        public func stop() { task.cancel() }
    }

    /// The fake Nova (and its Keystone) on a free port.
    public static func startFakeNova(_ server: FakeNovaServer, logLevel: Logger.Level = .critical) async throws -> Running {
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        let task = Task {
            defer { sink.finish() }
            try await server.serve(port: 0, logLevel: logLevel) { sink.yield($0) }
        }
        return try await bound(ports, task)
    }

    /// The controller's Ironic-compatible API (noauth) on a free port.
    public static func startNodeAPI(_ controller: PowerController, nova: NovaNotifier?) async throws -> Running {
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "ferrum.api")
        quiet.logLevel = .critical
        let app = Application(router: NodeAPI.router(for: controller, nova: nova),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "ferrum"),
                              onServerRunning: { channel in sink.yield(channel.localAddress?.port ?? 0) },
                              logger: quiet)
        let task = Task {
            defer { sink.finish() }
            try await app.run()
        }
        return try await bound(ports, task)
    }

    /// The notifier as `[nova] auth_type = password` configures it: Keystone at `novaBase`, Nova from its catalog,
    /// woken by the controller's doorbell.
    public static func keystoneNotifier(novaBase: String, store: any ControllerStore, controller: PowerController,
                                        configuration: NovaNotifierConfiguration = .init(), logger: Logger) -> NovaNotifier {
        NovaNotifier(store: store, client: keystoneClient(novaBase: novaBase), configuration: configuration,
                            logger: logger, metrics: controller.metrics, doorbell: controller.outboxDoorbell)
    }

    /// A Nova client as `[nova] auth_type = password` configures it against the fake's Keystone.
    public static func keystoneClient(novaBase: String) -> URLSessionNovaClient {
        URLSessionNovaClient(auth: .keystone(KeystoneSettings(
            authURL: URL(string: novaBase)!,
            credential: .password(username: "ironic", password: "demo", userDomain: "Default", project: "service",
                                  projectDomain: "Default"),
            region: "RegionOne")))
    }

    private static func bound(_ ports: AsyncStream<Int>, _ task: Task<Void, any Error>) async throws -> Running {
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            _ = await task.result
            throw LiveRunError("a loopback server did not start")
        }
        return Running(base: "http://127.0.0.1:\(port)", task: task)
    }
}

/// Why a live run could not run (set-up failed); invariant violations are results, not errors.
public struct LiveRunError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

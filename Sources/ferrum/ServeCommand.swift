import ArgumentParser
import Controller
import ControllerCore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `ferrum serve`: the controller as a service — power sync, recovery, power actions, the API — until SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the controller: periodic power sync, power actions and the node API, until SIGTERM or SIGINT.")

    @Option(help: "The controller's config file (INI, see docs/configuration.md). Without it, built-in defaults.")
    var config: String?

    @Option(help: "Listen on this port instead of [api] port; 0 picks a free one (printed).")
    var port: Int?

    @Option(help: "Use this SQLite file instead of [database] connection.")
    var database: String?

    func run() async throws {
        let configuration = try loadConfiguration()
        let logger = Self.bootstrapLogging(configuration.general)
        let path = database ?? configuration.databasePath
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let authentication: APIAuthentication
        switch configuration.general.authStrategy {
        case .noauth: authentication = .none
        case .httpBasic:
            do {
                authentication = .httpBasic(try HtpasswdFile(path: configuration.general.httpBasicAuthUserFile))
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let store = try await SQLiteStore.open(path: path, logger: logger)
        // One registry for the client and the controller, served at /metrics.
        let metrics = ControllerMetrics()
        let client = BMCClient(configuration: BMCClientConfiguration(configuration.ipmi), metrics: metrics)
        try await client.start()
        let controller = PowerController(store: store, driver: BMCPowerDriver(client: client),
                                         configuration: PowerControllerConfiguration(configuration), logger: logger,
                                         metrics: metrics)
        do {
            try await controller.start()
            let host = configuration.api.hostIP
            let notifier = try novaNotifier(configuration.nova, store: store, logger: logger, metrics: metrics,
                                            doorbell: controller.outboxDoorbell)
            let app = Application(
                router: NodeAPI.router(for: controller, authentication: authentication, nova: notifier,
                                       novaAPIUsers: configuration.nova.novaAPIUsers),
                configuration: .init(address: .hostname(host, port: port ?? configuration.api.port), serverName: "ferrum"),
                onServerRunning: { channel in
                    print("ferrum: API listening on http://\(host):\(channel.localAddress?.port ?? 0)")
                    print("ferrum: database \(path); \(await controller.nodeCount) nodes")
                    fflush(nil)
                },
                logger: logger)
            var services: [any Service] = [controller, app]
            if let notifier { services.append(notifier) }
            if let confirmer = try novaHoldConfirmer(configuration.nova, controller: controller, logger: logger) {
                services.append(confirmer)
            }
            let group = ServiceGroup(configuration: .init(services: services,
                                                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch {
            await client.shutdown()
            try? await store.close()
            throw error
        }
        await client.shutdown()
        try await store.close()
        logger.info("controller stopped")
    }

    private func loadConfiguration() throws -> ControllerConfiguration {
        guard let config else { return ControllerConfiguration() }
        let url = URL(fileURLWithPath: config)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(config): \(error.localizedDescription)")
        }
        do {
            return try ControllerConfiguration.load(text: text, baseDirectory: url.deletingLastPathComponent().path)
        } catch {
            throw ValidationError(error.description(file: config))
        }
    }

    /// swift-log for the whole process: text or JSON lines on standard error, INFO or DEBUG.
    static func bootstrapLogging(_ general: ControllerConfiguration.General) -> Logger {
        let level: Logger.Level = general.debug ? .debug : .info
        LoggingSystem.bootstrap { label in
            switch general.logFormat {
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        return Logger(label: "ferrum.controller")
    }
}

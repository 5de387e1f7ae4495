import ArgumentParser
import Foundation
import Simulation

/// `ferrum nova-sim serve`: the fake Nova and Keystone for tests and demos (docs/fake-nova.md).
struct NovaSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nova-sim",
        abstract: "Run a fake Nova (os-server-external-events) with a fake Keystone.",
        subcommands: [Serve.self])

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve the fake Nova on loopback until interrupted.")

        @Option(help: "HTTP port (0 picks a free one and prints it).") var port = 8774
        @Option(help: "Create this many instances (active, powered on, on host compute-1).") var instances = 0
        @Option(help: "Highest microversion served (79 imitates Train).") var maxMinor = 104
        @Option(help: "Ironic-compatible API (Ferrum's) for nova-compute's power sync and stop_instance; turns on queued events.")
        var ironicURL: String?
        @Option(help: "HTTP basic user for the Ironic API.") var ironicUser: String?
        @Option(help: "File holding the HTTP basic password for the Ironic API.") var ironicPasswordFile: String?
        @Option(help: "Periodic power sync interval in seconds (sync_power_state_interval; negative disables).")
        var syncInterval: Double = 600
        @Option(help: "Node cache refresh interval in seconds (update_resources_interval).") var cacheRefreshInterval: Double = 60
        @Option(help: "Delay before a host's compute worker sees an accepted event, in seconds.") var eventDelay: Double = 0

        func validate() throws {
            guard instances >= 0 else { throw ValidationError("--instances must not be negative") }
            guard maxMinor >= 1 else { throw ValidationError("--max-minor must be at least 1") }
            if let ironicURL, URL(string: ironicURL)?.host == nil { throw ValidationError("--ironic-url must be an http URL") }
            guard eventDelay >= 0 else { throw ValidationError("--event-delay must not be negative") }
            if ironicPasswordFile != nil && ironicUser == nil {
                throw ValidationError("--ironic-password-file needs --ironic-user")
            }
        }

        /// Wall-time seconds as a Duration; negative means disabled.
        static func interval(_ seconds: Double) -> Duration? {
            seconds < 0 ? nil : .milliseconds(Int64(seconds * 1000))
        }

        func ironicSettings() throws -> FakeNovaIronicClient.Settings? {
            guard let ironicURL, let url = URL(string: ironicURL) else { return nil }
            var password: String?
            if let ironicPasswordFile {
                password = try String(contentsOfFile: ironicPasswordFile, encoding: .utf8)
                    .trimmingCharacters(in: .newlines)
            }
            return FakeNovaIronicClient.Settings(baseURL: url, user: ironicUser, password: password)
        }

        func run() async throws {
            var nova = FakeNova(maxMinor: maxMinor)
            for index in 0..<instances {
                nova.add(FakeNovaInstance(uuid: Self.uuid(index), vmState: "active", powerState: FakeNovaInstance.running,
                                          host: "compute-1"))
            }
            nova.compute.configuration.syncInterval = Self.interval(syncInterval)
            nova.compute.configuration.cacheRefreshInterval = Self.interval(cacheRefreshInterval)
            nova.compute.configuration.eventDelay = Self.interval(eventDelay) ?? .zero
            let ironic = try ironicSettings()
            let server = FakeNovaServer(nova, ironic: ironic)
            let count = instances
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.serve(port: port) { bound in
                        print("fake Nova on http://127.0.0.1:\(bound) (Keystone at /v3, \(count) instances)"
                            + (ironic.map { ", nova-compute against Ironic at \($0.baseURL.absoluteString)" } ?? ""))
                        fflush(nil)
                    }
                }
                group.addTask { try await waitForTermination() }
                _ = try await group.next()
                group.cancelAll()
            }
        }

        /// Predictable uuids, so scripts can address instance N without listing first.
        static func uuid(_ index: Int) -> String {
            let hex = String(index, radix: 16)
            return "00000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        }
    }
}

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

        func validate() throws {
            guard instances >= 0 else { throw ValidationError("--instances must not be negative") }
            guard maxMinor >= 1 else { throw ValidationError("--max-minor must be at least 1") }
        }

        func run() async throws {
            var nova = FakeNova(maxMinor: maxMinor)
            for index in 0..<instances {
                nova.add(FakeNovaInstance(uuid: Self.uuid(index), vmState: "active", powerState: FakeNovaInstance.running,
                                          host: "compute-1"))
            }
            let server = FakeNovaServer(nova)
            let count = instances
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.serve(port: port) { bound in
                        print("fake Nova on http://127.0.0.1:\(bound) (Keystone at /v3, \(count) instances)")
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

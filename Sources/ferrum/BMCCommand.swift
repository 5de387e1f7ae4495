import ArgumentParser
import Foundation
import IPMI
import VirtualBMC
import VirtualBMCCore

struct BMC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bmc",
        abstract: "Run and manage a fleet of virtual BMCs.",
        subcommands: [Serve.self, BMCAdd.self, BMCDelete.self, BMCList.self, BMCShow.self, BMCStart.self, BMCStop.self,
                      BMCPress.self, BMCFault.self])

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve virtual BMCs over UDP until interrupted: one (--port), many (--count), or a fleet file (--config).")

        @Option(help: "Fleet file (YAML). Changes made through the API are written back to it.") var config: String?
        @Option(help: "Serve this many BMCs on consecutive ports from --base-port.") var count: Int?
        @Option(help: "First port with --count.") var basePort = 6230
        @Option(help: "Address to bind (loopback only: these BMCs are for tests and demos).") var host = "127.0.0.1"
        @Option(help: "UDP port of a single BMC (0 picks a free one).") var port = 6230
        @Option(help: "User name.") var user = "admin"
        @Option(help: "Password (or --password-file, or FERRUM_BMC_PASSWORD).") var password: String?
        @Option(help: "File holding the password.") var passwordFile: String?
        @Option(help: "Initial power state: on or off.") var power = "off"
        @Option(help: "Seed of every fault's randomness.") var seed: UInt64 = 1
        @Option(help: "Port of the management HTTP API (0 picks one; -1 disables). Default: the fleet file's, else 8623.")
        var apiPort: Int?

        func validate() throws {
            guard host.hasPrefix("127.") || host == "::1" || host == "localhost" else {
                throw ValidationError("the virtual BMC binds to loopback only (127.0.0.0/8 or ::1)")
            }
            guard power == "on" || power == "off" else { throw ValidationError("--power takes on or off") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        }

        func run() async throws {
            let fleetConfiguration = try loadConfiguration()
            let fleet: Fleet
            do {
                fleet = try await Fleet.start(fleetConfiguration, configurationPath: config)
            } catch {
                throw CleanExit.failure("\(error)")
            }
            let firstSpec = fleetConfiguration.bmcs[0]
            let first = try fleet.show(firstSpec.name)
            print("virtual BMC listening on \(first.address):\(first.port) (\(first.name); \(fleet.count) in this fleet)")
            print("try: ipmitool -I lanplus -H \(first.address) -p \(first.port) -U \(firstSpec.users[0].name) -P <password> chassis power status")
            fflush(nil)
            let management = fleetConfiguration.management
            let port = apiPort ?? management?.port ?? 8623
            let host = management?.host ?? "127.0.0.1"
            try await withThrowingTaskGroup(of: Void.self) { group in
                if port >= 0 {
                    group.addTask {
                        try await ManagementAPI.serve(fleet, host: host, port: port) { bound in
                            print("management API on http://\(host):\(bound)")
                            fflush(nil)
                        }
                    }
                }
                group.addTask { try await waitForTermination() }
                _ = try await group.next()
                group.cancelAll()
            }
            await fleet.shutdown()
        }

        private func loadConfiguration() throws -> FleetConfiguration {
            if let config, FileManager.default.fileExists(atPath: config) {
                guard count == nil else { throw ValidationError("--count and an existing --config file exclude each other") }
                let text = try String(contentsOfFile: config, encoding: .utf8)
                do {
                    return try FleetConfiguration(yaml: text)
                } catch {
                    throw CleanExit.failure("\(config): \(error)")
                }
            }
            let secret = try PasswordSource(literal: password, file: passwordFile, environmentVariable: "FERRUM_BMC_PASSWORD").resolve()
            let userSpec = UserSpec(name: user, password: secret)
            var configuration: FleetConfiguration
            if let count {
                configuration = try FleetConfiguration.generated(count: count, basePort: basePort, address: host, user: userSpec, seed: seed)
            } else {
                // Port 0 is bound first and the real port recorded, so this one is built directly.
                configuration = FleetConfiguration(seed: seed, bmcs: [BMCSpec(name: "bmc-0", address: host, port: port, users: [userSpec])])
            }
            for index in configuration.bmcs.indices { configuration.bmcs[index].powerOn = power == "on" }
            if let config {
                // A new fleet file: write it now so a restart finds the fleet.
                try Data(configuration.yaml().utf8).write(to: URL(fileURLWithPath: config))
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config)
            }
            return configuration
        }
    }
}

/// Suspends until SIGINT or SIGTERM.
func waitForTermination() async throws {
    let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
    let sources = [SIGINT, SIGTERM].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber)
        source.setEventHandler { continuation.yield(signalNumber) }
        source.resume()
        return source
    }
    for await _ in stream { break }
    withExtendedLifetime(sources) {}
}

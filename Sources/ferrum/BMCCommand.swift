import ArgumentParser
import Foundation
import IPMI
import VirtualBMC

struct BMC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bmc", abstract: "Run virtual BMCs.", subcommands: [Serve.self])

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve one virtual BMC over UDP until interrupted.")

        @Option(help: "Address to bind (loopback only: this BMC is for tests and demos).") var host = "127.0.0.1"
        @Option(help: "UDP port (0 picks a free one).") var port = 6230
        @Option(help: "User name.") var user = "admin"
        @Option(help: "Password (or --password-file, or FERRUM_BMC_PASSWORD).") var password: String?
        @Option(help: "File holding the password.") var passwordFile: String?
        @Option(help: "Initial power state: on or off.") var power = "off"
        @Option(help: "Cipher suites offered, e.g. 17,3 (0 only if you really mean it).") var cipherSuites = "17,3"

        func validate() throws {
            guard host.hasPrefix("127.") || host == "::1" || host == "localhost" else {
                throw ValidationError("the virtual BMC binds to loopback only (127.0.0.0/8 or ::1)")
            }
            guard power == "on" || power == "off" else { throw ValidationError("--power takes on or off") }
        }

        func run() async throws {
            let secret = try PasswordSource(literal: password, file: passwordFile, environmentVariable: "FERRUM_BMC_PASSWORD").resolve()
            let suites = try cipherSuites.split(separator: ",").map { text -> CipherSuite in
                guard let id = UInt8(text.trimmingCharacters(in: .whitespaces)), let suite = CipherSuite(id: id) else {
                    throw ValidationError("unsupported cipher suite '\(text)' (Ferrum implements 0, 3 and 17)")
                }
                return suite
            }
            var generator = SystemRandomNumberGenerator()
            let configuration = VirtualBMCConfiguration(username: user, password: secret, guid: generator.bytes(16),
                                                        initialPowerOn: power == "on", cipherSuites: suites)
            let server = try await VirtualBMCServer.start(configuration, host: host, port: port)
            print("virtual BMC listening on \(host):\(server.port) (user \(user), suites \(suites.map(\.id)), power \(power))")
            print("try: ipmitool -I lanplus -H \(host) -p \(server.port) -U \(user) -P <password> chassis power status")
            try await waitForTermination()
            try await server.stop()
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

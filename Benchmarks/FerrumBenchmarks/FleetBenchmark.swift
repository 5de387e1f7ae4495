import Controller
import Foundation
import IPMI

/// Memory and throughput of a virtual BMC fleet served by a separate `ferrum bmc serve` process, measured from
/// this process acting as the client (Ferrum's own RMCP+ client over loopback UDP).
public enum FleetBenchmark {
    public struct Options: Sendable {
        public var executable: String
        public var counts: [Int]
        public var basePort: Int
        public var concurrency: Int
        public var seconds: Double

        public init(executable: String, counts: [Int] = [1000, 10000], basePort: Int = 20000, concurrency: Int = 64,
                    seconds: Double = 5) {
            self.executable = executable
            self.counts = counts
            self.basePort = basePort
            self.concurrency = concurrency
            self.seconds = seconds
        }
    }

    public struct Row: Sendable {
        public var count: Int
        public var idleRSS: Int
        public var pollingRSS: Int
        public var polledBMCs: Int
        public var pollErrors: Int
    }

    public struct Throughput: Sendable {
        public var persistentRequestsPerSecond: Double
        public var freshSessionsPerSecond: Double
        public var errors: Int
    }

    public static func run(_ options: Options) async throws -> String {
        var rows: [Row] = []
        var throughput: Throughput?
        for count in options.counts {
            let server = try await ServerProcess.start(executable: options.executable, count: count, basePort: options.basePort)
            let idle = server.residentBytes
            // Peak RSS while every BMC is being polled, sampled every 20 ms.
            let sampler = Task {
                var peak = 0
                while !Task.isCancelled {
                    peak = max(peak, server.residentBytes)
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return max(peak, server.residentBytes)
            }
            let (polled, errors) = await pollAll(count: count, basePort: options.basePort, concurrency: options.concurrency)
            sampler.cancel()
            let polling = await sampler.value
            rows.append(Row(count: count, idleRSS: idle, pollingRSS: polling, polledBMCs: polled, pollErrors: errors))
            if throughput == nil {
                throughput = await measureThroughput(basePort: options.basePort, bmcs: min(count, options.concurrency),
                                                     concurrency: options.concurrency, seconds: options.seconds)
            }
            await server.stop()
        }
        return report(rows: rows, throughput: throughput!, options: options)
    }

    static func configuration(cipherSuite: UInt8 = 17) -> ConsoleConfiguration {
        ConsoleConfiguration(username: "admin", password: "password", cipherSuite: cipherSuite,
                             retransmitInterval: .milliseconds(500), maximumAttempts: 4)
    }

    /// One session per BMC, one Get Chassis Status each, `concurrency` at a time. RSS is read while sessions are open.
    static func pollAll(count: Int, basePort: Int, concurrency: Int) async -> (polled: Int, errors: Int) {
        await withTaskGroup(of: Bool.self) { group in
            var next = 0, polled = 0, errors = 0
            func addNext() {
                let port = basePort + next
                next += 1
                group.addTask {
                    do {
                        let session = try await IPMIClientSession.connect(host: "127.0.0.1", port: port, configuration: configuration())
                        _ = try await session.powerIsOn()
                        await session.close()
                        return true
                    } catch {
                        return false
                    }
                }
            }
            while next < min(concurrency, count) { addNext() }
            for await ok in group {
                if ok { polled += 1 } else { errors += 1 }
                if next < count { addNext() }
            }
            return (polled, errors)
        }
    }

    /// Persistent sessions: `concurrency` sessions each sending Get Chassis Status back to back. Fresh sessions:
    /// `concurrency` loops of open, one request, close.
    static func measureThroughput(basePort: Int, bmcs: Int, concurrency: Int, seconds: Double) async -> Throughput {
        var errors = 0
        var sessions: [IPMIClientSession] = []
        for index in 0..<concurrency {
            if let session = try? await IPMIClientSession.connect(host: "127.0.0.1", port: basePort + index % bmcs, configuration: configuration()) {
                sessions.append(session)
            } else {
                errors += 1
            }
        }
        let open = sessions
        let (requests, persistentSeconds, persistentErrors) = await repeatUntil(seconds, loops: open.count) { index in
            _ = try await open[index].powerIsOn()
        }
        errors += persistentErrors
        let persistent = Double(requests) / persistentSeconds
        for session in sessions { await session.close() }

        let (opened, freshSeconds, freshErrors) = await repeatUntil(seconds, loops: concurrency) { index in
            let session = try await IPMIClientSession.connect(
                host: "127.0.0.1", port: basePort + index % bmcs, configuration: configuration())
            _ = try await session.powerIsOn()
            await session.close()
        }
        errors += freshErrors
        let fresh = Double(opened) / freshSeconds
        return Throughput(persistentRequestsPerSecond: persistent, freshSessionsPerSecond: fresh, errors: errors)
    }

    /// Runs `loops` concurrent loops of `body` for `seconds`; returns completed iterations, elapsed seconds, errors.
    /// A loop stops at its first error.
    static func repeatUntil(_ seconds: Double, loops: Int,
                            _ body: @escaping @Sendable (Int) async throws -> Void) async -> (Int, Double, Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let (done, failed) = await withTaskGroup(of: (Int, Int).self) { group in
            for index in 0..<loops {
                group.addTask {
                    var done = 0
                    while clock.now < deadline {
                        do { try await body(index) } catch { return (done, 1) }
                        done += 1
                    }
                    return (done, 0)
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        return (done, secondsIn(clock.now - start), failed)
    }

    static func secondsIn(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func report(rows: [Row], throughput: Throughput, options: Options) -> String {
        func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
        var lines = [
            "### VirtualBMC fleet: memory and requests per second",
            "",
            "Machine: \(MachineDescription.current). Date: \(ISO8601DateFormatter().string(from: Date())). "
                + "Server: `ferrum bmc serve --count N` (release) in its own process; client: `ferrum bench fleet` "
                + "(Ferrum's RMCP+ client, cipher suite 17, \(options.concurrency) concurrent sessions) in another. "
                + "Targets: 10,000 BMCs in ≤ 100 MB RSS; ≥ 30,000 in-session requests/s.",
            "",
            "| BMCs | RSS idle | RSS peak while polling every BMC (one session each) | BMCs polled | errors |",
            "|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            lines.append("| \(row.count.formatted()) | \(megabytes(row.idleRSS)) | \(megabytes(row.pollingRSS)) | "
                + "\(row.polledBMCs.formatted()) | \(row.pollErrors) |")
        }
        lines += [
            "",
            "| load | rate |",
            "|---|---:|",
            "| persistent sessions, Get Chassis Status back to back | \(Int(throughput.persistentRequestsPerSecond).formatted()) requests/s |",
            "| fresh sessions (open, one request, close) | \(Int(throughput.freshSessionsPerSecond).formatted()) sessions/s |",
            "| errors during the runs | \(throughput.errors) |",
        ]
        return lines.joined(separator: "\n")
    }
}

/// `ferrum bmc serve --count N` as a child process, ready once its last BMC answers.
final class ServerProcess: @unchecked Sendable {
    let process: Process

    private init(process: Process) { self.process = process }

    static func start(executable: String, count: Int, basePort: Int) async throws -> ServerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["bmc", "serve", "--count", "\(count)", "--base-port", "\(basePort)", "--password", "password",
                             "--api-port=-1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = ServerProcess(process: process)
        let lastPort = basePort + count - 1
        for _ in 0..<120 {
            if let session = try? await IPMIClientSession.connect(
                host: "127.0.0.1", port: lastPort,
                configuration: ConsoleConfiguration(username: "admin", password: "password", cipherSuite: 17,
                                                    retransmitInterval: .milliseconds(250), maximumAttempts: 2)) {
                await session.close()
                return server
            }
            guard process.isRunning else { break }
        }
        await server.stop()
        throw BenchmarkError("the fleet of \(count) did not come up on ports \(basePort)...\(lastPort)")
    }

    /// VmRSS of the server process, in bytes.
    var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }

    /// Kills the server and waits until it is gone, so the next fleet can bind the same ports.
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

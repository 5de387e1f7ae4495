import Controller
import ControllerCore
import Foundation
import IPMI
import Logging

/// One full power sync pass over a VirtualBMC fleet served by a separate `ferrum bmc serve` process: the controller
/// (persistent and fresh sessions) against one `ipmitool` run per BMC (Ironic's way) and FreeIPMI's `ipmipower`.
public enum SyncBenchmark {
    public struct Options: Sendable {
        public var executable: String
        public var counts: [Int]
        public var basePort: Int
        /// Timed passes after the first (which records every node's state).
        public var passes: Int
        /// `PowerControllerConfiguration.syncWorkers` and the client's `maximumInFlight`.
        public var concurrency: Int
        /// BMCs the ipmitool baseline checks per fleet (a fixed sample spread over the fleet), or nil for all.
        public var ipmitoolSample: Int?

        public init(executable: String, counts: [Int] = [1000, 10000], basePort: Int = 20000, passes: Int = 5,
                    concurrency: Int = 1000, ipmitoolSample: Int? = nil) {
            self.executable = executable
            self.counts = counts
            self.basePort = basePort
            self.passes = max(1, passes)
            self.concurrency = max(1, concurrency)
            self.ipmitoolSample = ipmitoolSample
        }
    }

    /// Every third BMC is switched on before measuring, so each method must tell the BMCs apart to count right.
    static func expectedOn(_ count: Int) -> Int { (count + 2) / 3 }

    public static func run(_ options: Options) async throws -> String {
        var fleets: [FleetResult] = []
        for count in options.counts {
            let server = try await ServerProcess.start(executable: options.executable, count: count, basePort: options.basePort)
            do {
                fleets.append(try await measure(count: count, options: options))
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
        return report(fleets, options: options)
    }

    static func measure(count: Int, options: Options) async throws -> FleetResult {
        try await switchOnEveryThird(count: count, basePort: options.basePort)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("ferrum.sqlite").path
        log("\(count) BMCs: controller, persistent sessions")
        let persistent = try await ControllerRun.measure(count: count, options: options, storePath: storePath, persistent: true)
        log("\(count) BMCs: controller, fresh sessions")
        let fresh = try await ControllerRun.measure(count: count, options: options, storePath: storePath, persistent: false)
        log("\(count) BMCs: ipmipower")
        let ipmipower = try await Baselines.ipmipower(count: count, basePort: options.basePort, directory: directory)
        log("\(count) BMCs: ipmitool")
        let sample = options.ipmitoolSample.map { min($0, count) } ?? count
        let ipmitool = try await Baselines.ipmitool(count: count, sample: sample, basePort: options.basePort, directory: directory)
        return FleetResult(count: count, persistent: persistent, fresh: fresh, ipmipower: ipmipower, ipmitool: ipmitool)
    }

    /// Powers on BMCs 0, 3, 6, ... through a throwaway client, before anything is measured.
    static func switchOnEveryThird(count: Int, basePort: Int) async throws {
        let client = BMCClient(configuration: BMCClientConfiguration(persistentSessions: false))
        try await client.start()
        let credentials = BMCCredentials(username: "admin", password: "password")
        let failures = await withTaskGroup(of: Int.self) { group in
            for index in stride(from: 0, to: count, by: 3) {
                group.addTask {
                    do {
                        try await client.chassisControl(.powerUp, BMCEndpoint(address: "127.0.0.1", port: basePort + index),
                                                        credentials: credentials)
                        return 0
                    } catch {
                        return 1
                    }
                }
            }
            return await group.reduce(0, +)
        }
        await client.shutdown()
        guard failures == 0 else { throw BenchmarkError("\(failures) BMCs could not be switched on before the run") }
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data("[bench sync] \(message)\n".utf8))
    }
}

/// What was measured on one fleet.
struct FleetResult: Sendable {
    var count: Int
    var persistent: ControllerRun
    var fresh: ControllerRun
    var ipmipower: BaselineRun
    var ipmitool: BaselineRun
}

/// RSS of this process, in bytes.
func ownResidentBytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
}

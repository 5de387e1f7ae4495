import Foundation

/// A baseline's pass over the fleet: how long it took and what it read.
struct BaselineRun: Sendable {
    /// BMCs checked; fewer than the fleet when only a sample was.
    var checked: Int
    var seconds: Double
    var on: Int
    var off: Int
    /// BMCs among those checked that were switched on (every third of the fleet).
    var expectedOn: Int
    /// How many invocations of the tool the pass took.
    var invocations: Int

    var errors: Int { checked - on - off }
}

/// The tools the controller is compared with, run against the same fleet.
enum Baselines {
    /// Ironic's ipmitool driver: one `ipmitool ... power status` process per BMC, 8 at a time (its sync workers).
    /// A sample of `sample` BMCs spread evenly over the fleet when smaller than `count`.
    static func ipmitool(count: Int, sample: Int, basePort: Int, directory: URL, workers: Int = 8) async throws -> BaselineRun {
        let ipmitool = try find("ipmitool")
        let ports = (0..<sample).map { basePort + $0 * count / sample }
        let list = directory.appendingPathComponent("ports")
        try ports.map(String.init).joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
        // xargs starts each process as soon as one of the workers is free, as a pool of threads would.
        let arguments = ["-P", "\(workers)", "-I", "{}", ipmitool, "-I", "lanplus", "-H", "127.0.0.1", "-p", "{}",
                         "-L", "ADMINISTRATOR", "-U", "admin", "-P", "password", "power", "status"]
        let (output, seconds) = try await run("/usr/bin/xargs", arguments, stdin: list, directory: directory)
        return BaselineRun(checked: sample, seconds: seconds, on: occurrences(of: "Chassis Power is on", in: output),
                           off: occurrences(of: "Chassis Power is off", in: output),
                           expectedOn: ports.filter { ($0 - basePort) % 3 == 0 }.count, invocations: sample)
    }

    /// FreeIPMI's `ipmipower --stat` with fanout 64. It opens every host's sockets up front (two each), so 10,000
    /// hosts exceed the descriptor limit ("ipmi_get_random: Bad file descriptor"), and its time grows faster than
    /// the host count (1,000 hosts ~2 s, 5,000 ~13 s here): the fleet goes in batches of `batch`, one after another.
    static func ipmipower(count: Int, basePort: Int, directory: URL, fanout: Int = 64, batch: Int = 1000) async throws -> BaselineRun {
        let ipmipower = try find("ipmipower")
        var seconds = 0.0, on = 0, off = 0, invocations = 0
        for first in stride(from: 0, to: count, by: batch) {
            let last = min(first + batch, count) - 1
            let hosts = "127.0.0.1:[\(basePort + first)-\(basePort + last)]"
            let (output, took) = try await run(ipmipower, ["-D", "LAN_2_0", "-h", hosts, "-u", "admin", "-p", "password",
                                                           "--stat", "--fanout", "\(fanout)"], directory: directory)
            seconds += took
            on += occurrences(of: ": on\n", in: output)
            off += occurrences(of: ": off\n", in: output)
            invocations += 1
        }
        return BaselineRun(checked: count, seconds: seconds, on: on, off: off, expectedOn: SyncBenchmark.expectedOn(count),
                           invocations: invocations)
    }

    static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    static func find(_ tool: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin"]
        guard let found = directories.map({ "\($0)/\(tool)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchmarkError("\(tool) is not installed (Debian: ipmitool, freeipmi-tools)")
        }
        return found
    }

    /// Runs a program to its end without holding a thread of the cooperative pool; returns its standard output
    /// (its errors go to `directory/stderr`) and its wall-clock time in seconds.
    static func run(_ path: String, _ arguments: [String], stdin: URL? = nil, directory: URL) async throws -> (String, Double) {
        let outURL = directory.appendingPathComponent("stdout"), errURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        let clock = ContinuousClock()
        let start = clock.now
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let seconds = FleetBenchmark.secondsIn(clock.now - start)
        let output = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        if status != 0 {
            let errors = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            SyncBenchmark.log("\((path as NSString).lastPathComponent) exited with \(status): \(errors.prefix(500))")
        }
        return (output, seconds)
    }
}

import ArgumentParser
import FerrumBenchmarks
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark (build with -c release) and optionally record it in docs/benchmarks.md.")

    @Argument(help: "Which benchmark: decode, fleet, sync or nova.") var name = "decode"
    @Option(help: "Fleet sizes for the fleet benchmark.") var counts = "1000,10000"
    @Option(help: "Fleet sizes for the sync benchmark.") var nodes = "1000,10000"
    @Option(help: "Sync benchmark: timed passes after the first.") var passes = 5
    @Option(help: "Nova benchmark: BMCs (each with a Nova instance) whose power flips at once.") var changes = 10000
    @Option(help: "Nova benchmark: measured flips.") var runs = 5
    @Option(help: "Sync benchmark: the controller's sync workers and the client's requests in flight.") var concurrency = 1000
    @Option(help: "Sync benchmark: BMCs the ipmitool baseline checks per fleet, spread over it (default: all).")
    var ipmitoolSample: Int?
    /// Below Linux's ephemeral range (32768 and up), where the client's own sockets could take a port the fleet needs.
    @Option(help: "First UDP port of the benchmark fleet.") var basePort = 20000
    @Option(help: "Seconds to measure each case.") var seconds: Double = 3
    @Option(help: "Markdown file to update with the results (its section for this benchmark is replaced).") var write: String?

    func run() async throws {
        let markdown: String
        switch name {
        case "decode":
            markdown = DecodeBenchmark.run(seconds: seconds).markdown
        case "fleet":
            markdown = try await FleetBenchmark.run(.init(executable: executable, counts: try sizes(counts, "--counts"),
                                                          basePort: basePort, seconds: seconds))
        case "sync":
            markdown = try await SyncBenchmark.run(.init(executable: executable, counts: try sizes(nodes, "--nodes"),
                                                         basePort: basePort, passes: passes, concurrency: concurrency,
                                                         ipmitoolSample: ipmitoolSample))
        case "nova":
            markdown = try await NovaBenchmark.run(.init(count: try sizes("\(changes)", "--changes")[0], basePort: basePort,
                                                         runs: runs, concurrency: concurrency))
        default:
            throw ValidationError("unknown benchmark '\(name)'; known: decode, fleet, sync, nova")
        }
        print(markdown)
        if let write {
            try BenchmarkReport.replaceSection(named: name, in: write, with: markdown)
            print("recorded in \(write)")
        }
    }

    /// This binary, which serves the benchmark fleets too.
    private var executable: String { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path }

    private func sizes(_ list: String, _ option: String) throws -> [Int] {
        let sizes = list.split(separator: ",").compactMap { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 && basePort + $0 <= 65535 }) else {
            throw ValidationError("\(option) takes sizes that fit above --base-port")
        }
        return sizes
    }
}

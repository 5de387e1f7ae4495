import ArgumentParser
import FerrumBenchmarks
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark (build with -c release) and optionally record it in docs/benchmarks.md.")

    @Argument(help: "Which benchmark: decode or fleet.") var name = "decode"
    @Option(help: "Fleet sizes for the fleet benchmark.") var counts = "1000,10000"
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
            let sizes = counts.split(separator: ",").compactMap { Int($0) }
            guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 && basePort + $0 <= 65535 }) else {
                throw ValidationError("--counts takes sizes that fit above --base-port")
            }
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            markdown = try await FleetBenchmark.run(.init(executable: executable, counts: sizes, basePort: basePort, seconds: seconds))
        default:
            throw ValidationError("unknown benchmark '\(name)'; known: decode, fleet")
        }
        print(markdown)
        if let write {
            try BenchmarkReport.replaceSection(named: name, in: write, with: markdown)
            print("recorded in \(write)")
        }
    }
}

import ArgumentParser
import FerrumBenchmarks
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark (build with -c release) and optionally record it in docs/benchmarks.md.")

    @Argument(help: "Which benchmark: decode.") var name = "decode"
    @Option(help: "Seconds to measure each case.") var seconds: Double = 3
    @Option(help: "Markdown file to update with the results (its section for this benchmark is replaced).") var write: String?

    func run() async throws {
        guard name == "decode" else { throw ValidationError("unknown benchmark '\(name)'; known: decode") }
        let report = DecodeBenchmark.run(seconds: seconds)
        print(report.markdown)
        if let write {
            try BenchmarkReport.replaceSection(named: name, in: write, with: report.markdown)
            print("recorded in \(write)")
        }
    }
}

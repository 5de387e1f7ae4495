import ArgumentParser
import Foundation
import Simulation

/// `ferrum scenario run|explore|list`: scenario files (docs/scenarios.md) run in virtual time.
struct ScenarioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Run scenario files in virtual time, search seeds for invariant violations, draw timelines.",
        subcommands: [Run.self, Explore.self, List.self])

    /// Exit statuses: 0 the run matched the file's expectation, 1 it did not, 2 the file is invalid.
    static let mismatch: Int32 = 1
    static let badFile: Int32 = 2

    /// Reads and parses a scenario file; an unreadable or invalid file exits 2 with the located error.
    static func load(_ path: String) throws -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            printError("ferrum: cannot read \(path): \(error.localizedDescription)")
            throw ExitCode(badFile)
        }
        do {
            return try ScenarioFileReader.read(text, file: path)
        } catch {
            printError("ferrum: \(error)")
            throw ExitCode(badFile)
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the scenario files in a directory with their summaries.")

        @Option(help: "Directory of scenario files.") var directory = "scenarios"

        func run() throws {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory)
                    .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            } catch {
                ScenarioCommand.printError("ferrum: cannot list \(directory): \(error.localizedDescription)")
                throw ExitCode(ScenarioCommand.badFile)
            }
            let width = names.map { ScenarioFileReader.defaultName(forFile: $0).count }.max() ?? 0
            var invalid = false
            for name in names {
                let path = (directory as NSString).appendingPathComponent(name)
                let label = ScenarioFileReader.defaultName(forFile: name)
                let padded = label + String(repeating: " ", count: width - label.count)
                do {
                    let text = try String(contentsOfFile: path, encoding: .utf8)
                    let scenario = try ScenarioFileReader.read(text, file: path)
                    let expectation = switch scenario.expectation {
                    case .invariantsHold: "holds"
                    case let .violates(invariant): "violates \(invariant.rawValue)"
                    }
                    print("\(padded)  \(scenario.summary)  [\(expectation); seeds \(scenario.seeds.map(String.init).joined(separator: ","))]")
                } catch {
                    invalid = true
                    print("\(padded)  INVALID: \(error)")
                }
            }
            if invalid { throw ExitCode(ScenarioCommand.badFile) }
        }
    }
}

import Foundation

/// Enrols the nodes of a file with a bounded number of requests in flight, drawing progress on a terminal.
struct BulkEnrolment {
    /// Enough to keep the API's group commit busy without queueing thousands of requests in it.
    static let inFlight = 32

    let client: APIClient
    let entries: [NodeFile.Entry]
    let provide: Bool

    func run() async -> BulkReport {
        let start = ContinuousClock.now
        var progress = ProgressBar(label: "enrolled", total: entries.count, start: start)
        var outcomes = [Result<String, APIFailure>?](repeating: nil, count: entries.count)
        var failed = 0
        await withTaskGroup(of: (Int, Result<String, APIFailure>).self) { group in
            var next = 0
            var unreachable = false
            while true {
                // Stop starting requests once the API is gone: thousands of identical errors help nobody.
                while next < entries.count, next - progress.done < Self.inFlight, !unreachable {
                    let (index, entry, client, provide) = (next, entries[next], client, provide)
                    group.addTask { (index, await Self.enrol(entry, client: client, provide: provide)) }
                    next += 1
                }
                guard let (index, outcome) = await group.next() else { break }
                outcomes[index] = outcome
                if case .failure(let failure) = outcome {
                    failed += 1
                    if case .unreachable = failure { unreachable = true }
                }
                progress.advance(failed: failed)
            }
        }
        progress.finish()
        var report = BulkReport(total: entries.count, elapsed: ContinuousClock.now - start)
        for (entry, outcome) in zip(entries, outcomes) {
            switch outcome {
            case .success(let id)?: report.enrolled.append((entry.name, id))
            case .failure(let failure)?: report.failures.append((entry.name, failure))
            case nil: report.notAttempted.append(entry.name)
            }
        }
        return report
    }

    private static func enrol(_ entry: NodeFile.Entry, client: APIClient, provide: Bool) async -> Result<String, APIFailure> {
        let id: String
        do throws(APIFailure) {
            // Only the UUID is needed, not the whole node the API answers with.
            let answer = try await client.send("POST", "/v1/nodes", body: entry.body)
            id = (try? JSONDecoder().decode(Created.self, from: answer).uuid) ?? entry.name
        } catch {
            return .failure(error)
        }
        guard provide else { return .success(id) }
        do throws(APIFailure) {
            try await Provisioner(client: client, node: id).provide()
            return .success(id)
        } catch {
            return .failure(error.prefixed("created as \(id), but "))
        }
    }
}

private struct Created: Decodable {
    var uuid: String
}

struct BulkReport {
    var total: Int
    var elapsed: Duration
    var enrolled: [(name: String, uuid: String)] = []
    var failures: [(name: String, failure: APIFailure)] = []
    var notAttempted: [String] = []

    /// The worst failure's status (3 unreachable over 1 refused), nil when every node was enrolled.
    var exitCode: Int32? {
        if !notAttempted.isEmpty { return 3 }
        return failures.map(\.failure.exitCode).max()
    }

    func print(format: OutputFormat) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        switch format {
        case .json:
            let failed: [JSONValue] = failures.map { name, failure in
                var fields: [String: JSONValue] = ["name": .string(name), "error": .string(failure.message)]
                if case .refused(let status, _, _) = failure { fields["status"] = .int(status) }
                return .object(fields)
            }
            let summary: JSONValue = .object([
                "total": .int(total), "seconds": .double((seconds * 1000).rounded() / 1000),
                "enrolled": .array(enrolled.map { .object(["name": .string($0.name), "uuid": .string($0.uuid)]) }),
                "failed": .array(failed), "not_attempted": .array(notAttempted.map(JSONValue.string)),
            ])
            Swift.print(summary.prettyJSON)
        case .table:
            var line = "enrolled \(grouped(enrolled.count)) of \(grouped(total)) nodes in " + String(format: "%.1f s", seconds)
            if seconds > 0 { line += " (\(grouped(Int(Double(enrolled.count) / seconds)))/s)" }
            if !failures.isEmpty { line += "; \(grouped(failures.count)) failed" }
            if !notAttempted.isEmpty { line += "; \(grouped(notAttempted.count)) not attempted: the API could not be reached" }
            Swift.print(line)
            fflush(nil)
            let errors = failures.map { "ferrum: \($0.name): \($0.failure.message)\n" }.joined()
            FileHandle.standardError.write(Data(errors.utf8))
        }
    }
}

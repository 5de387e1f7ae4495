import Foundation

extension NovaBenchmark {
    static func report(_ runs: [NovaRun], storeCost: StoreCost, novaCost: Double, options: Options) -> String {
        let count = options.count.formatted()
        var lines = [
            "### Nova delivery: \(count) power changes found by one sync pass, to Nova",
            "",
            "Machine: \(MachineDescription.current). Date: \(ISO8601DateFormatter().string(from: Date())). Build: release. "
                + "One process (`ferrum bench nova`): an in-process fleet of \(count) virtual BMCs; the controller "
                + "(`PowerController`, SQLite store with WAL and synchronous=FULL, persistent sessions, \(options.concurrency) "
                + "sync workers, force_power_state_during_sync = false so the pass records what it finds) with "
                + "`NovaNotifier` + `URLSessionNovaClient` (Keystone password auth, token cached) and a `FakeNovaServer` "
                + "(Keystone + Nova, \(count) instances) on 127.0.0.1. Notifier: batch window "
                + "\(milliseconds(options.notifier.batchWindow)) (extended while events arrive, up to "
                + "\(milliseconds(options.notifier.maxBatchDelay))), at most \(options.notifier.maxEventsPerRequest.formatted()) "
                + "events or \(options.notifier.maxBodyBytes.formatted()) body bytes per request (Nova refuses bodies over "
                + "114,688). Each run presses every BMC's power button (behind the controller's back), then runs one sync "
                + "pass. Detection time of an event = its outbox row's time (when the pass recorded the change); "
                + "delivery = the fake Nova's answer to the request that carried it. Target: \(count) changes in ≤ 10 "
                + "requests, ≤ 1 s from detection to the last delivery.",
            "",
            "| run | change | requests | events per request | largest body | detections spread over (pass) | "
                + "first detection → last delivery | last detection → last delivery | → settled | per-event latency "
                + "median / p99 / max | Nova: accepted / applied |",
            "|---:|---|---:|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for (index, run) in runs.enumerated() {
            let sizes = run.requests.map(\.delivered)
            let sorted = run.latencies.sorted()
            lines.append("| \(index + 1) | \(run.target == .powerOn ? "POWER_ON" : "POWER_OFF") | \(run.requests.count) | "
                + "\(sizes.min() ?? 0)–\(sizes.max() ?? 0) | \((run.requests.map(\.body.count).max() ?? 0).formatted()) B | "
                + "\(seconds(run.detectionSpread)) (\(seconds(run.passSeconds)), \(run.passTransactions) transactions) | "
                + "**\(seconds(run.span))** | \(seconds(run.tail)) | \(seconds(run.settleSpan)) | "
                + "\(seconds(percentile(sorted, 0.5))) / \(seconds(percentile(sorted, 0.99))) / \(seconds(sorted.last ?? 0)) | "
                + "\(run.novaAccepted.formatted()) / \(run.novaApplied.formatted()) (\(run.novaRequests) requests) |")
        }
        let spans = runs.map(\.span).sorted()
        let requests = runs.map(\.requests.count).sorted()
        let median = percentile(spans, 0.5)
        lines += [
            "",
            "Requests, run by run, as events × time from sent to answered (from the notifier's side): "
                + runs.map { run in run.requests.map { "\($0.delivered)×" + String(format: "%.0f", $0.answeredAt.timeIntervalSince($0.sentAt) * 1000) }
                    .joined(separator: ", ") + " ms" }.joined(separator: "; ") + ".",
            "",
            "The store alone (the pass's writes without reading any BMC: \(count) node updates, each with a history "
                + "line and an outbox row, \(options.concurrency) callers at a time): "
                + "\(seconds(storeCost.seconds)) in \(storeCost.transactions) transactions. The fake Nova alone (its model "
                + "handling one request of \(min(options.count, options.notifier.maxEventsPerRequest).formatted()) events, "
                + "no HTTP): " + String(format: "%.0f ms", novaCost * 1000) + " per request.",
            "",
            "Targets at \(count) changes:",
            "- ≤ 10 requests: \(verdict(requests.last ?? .max <= 10)) (median \(requests[requests.count / 2]), "
                + "fewest \(requests.first ?? 0), most \(requests.last ?? 0))",
            "- ≤ 1 s from detection to the last delivery: \(verdict(median <= 1)) (median \(seconds(median)), "
                + "best \(seconds(spans.first ?? 0)))",
        ]
        return lines.joined(separator: "\n")
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction + 0.5))]
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f s", value) }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.0f ms", FleetBenchmark.secondsIn(duration) * 1000)
    }

    static func verdict(_ met: Bool) -> String { met ? "**met**" : "**missed**" }
}

import Foundation

extension SyncBenchmark {
    static func report(_ fleets: [FleetResult], options: Options) -> String {
        var lines = [
            "### Power sync pass: controller against ipmitool and ipmipower",
            "",
            "Machine: \(MachineDescription.current). Date: \(ISO8601DateFormatter().string(from: Date())). "
                + "Fleet: `ferrum bmc serve --count N` (release) in its own process; every method below ran in one "
                + "`ferrum bench sync` run against the same fleet, one after another. Every third BMC was switched on "
                + "first, so each method must report the right state per BMC. Ferrum: `PowerController.syncPass()` "
                + "with a SQLite store (WAL, synchronous=FULL), `BMCPowerDriver` over one `BMCClient`, "
                + "`syncWorkers` = `maximumInFlight` = \(options.concurrency), cipher suite negotiated (17); "
                + "pass time is the median of \(options.passes) passes after the first. Targets: 10,000 BMCs in ≤ 1 s "
                + "with persistent sessions and ≤ 5 s with fresh sessions, ≥ 100× faster than ipmitool; "
                + "≤ 10 KB of controller memory per node.",
            "",
            "| BMCs | method | pass time | BMCs/s | speed-up vs ipmitool | memory per node | on / off / errors |",
            "|---:|---|---:|---:|---:|---:|---|",
        ]
        for fleet in fleets {
            let ipmitoolSeconds = fleet.ipmitool.seconds * Double(fleet.count) / Double(fleet.ipmitool.checked)
            func row(_ method: String, _ seconds: Double, memory: String, read: String) -> String {
                "| \(fleet.count.formatted()) | \(method) | \(duration(seconds)) | \(Int(Double(fleet.count) / seconds).formatted()) | "
                    + "\(String(format: "%.1f", ipmitoolSeconds / seconds))× | \(memory) | \(read) |"
            }
            func read(on: Int, off: Int, errors: Int, of checked: Int, expected: Int? = nil) -> String {
                let right = on == (expected ?? expectedOn(fleet.count)) && errors == 0 && on + off == checked
                return "\(on.formatted()) / \(off.formatted()) / \(errors)" + (right ? "" : " ✗")
            }
            let persistent = fleet.persistent, fresh = fleet.fresh
            lines.append(row("Ferrum, persistent sessions (best \(duration(persistent.best)))", persistent.median,
                             memory: kilobytes(persistent.bytesPerNode) + " (\(persistent.sessionsOpen.formatted()) sessions open)",
                             read: read(on: persistent.nodesOn, off: persistent.nodesOff, errors: persistent.readFailures,
                                        of: fleet.count)))
            lines.append(row("Ferrum, first pass: records every state",
                             persistent.firstPass, memory: "", read: ""))
            lines.append(row("Ferrum, fresh sessions, until the last is closed (best \(duration(fresh.best)))", fresh.median,
                             memory: kilobytes(fresh.bytesPerNode) + " (no sessions kept)",
                             read: read(on: fresh.nodesOn, off: fresh.nodesOff, errors: fresh.readFailures, of: fleet.count)))
            let batches = fleet.ipmipower.invocations == 1 ? "one invocation" : "\(fleet.ipmipower.invocations) invocations of 1,000"
            lines.append(row("`ipmipower --stat --fanout 64` (\(batches))", fleet.ipmipower.seconds, memory: "",
                             read: read(on: fleet.ipmipower.on, off: fleet.ipmipower.off, errors: fleet.ipmipower.errors,
                                        of: fleet.count)))
            let sampled = fleet.ipmitool.checked < fleet.count
            lines.append(row(sampled ? "`ipmitool` per check, 8 workers: **extrapolated** from \(duration(fleet.ipmitool.seconds)) "
                                + "for a sample of \(fleet.ipmitool.checked.formatted())"
                                : "`ipmitool` per check, 8 workers (Ironic)",
                             ipmitoolSeconds, memory: "",
                             read: read(on: fleet.ipmitool.on, off: fleet.ipmitool.off, errors: fleet.ipmitool.errors,
                                        of: fleet.ipmitool.checked, expected: fleet.ipmitool.expectedOn) + (sampled ? " (sample)" : "")))
        }
        lines += ["", "Notes:"] + fleets.map(passNotes)
        lines.append("- Memory per node is the growth of this process's RSS over N, so fixed costs (threads, buffers, "
            + "SQLite's cache) weigh more on the smaller fleet. Before the first pass (nodes enrolled, no session yet): "
            + fleets.map { "\(kilobytes($0.persistent.bytesPerNodeWithoutSessions)) at \($0.count.formatted())" }
                .joined(separator: ", ") + ".")
        lines.append("- `ipmipower` opens two sockets per host up front: 10,000 hosts in one invocation exceed the "
            + "descriptor limit (20,000), and its time grows faster than its host count, so it runs over consecutive "
            + "batches of 1,000 (`-h 127.0.0.1:[first-last]`), one after another; it uses its default cipher suite 3.")
        lines.append("- `ipmitool -I lanplus -L ADMINISTRATOR ... power status` is one process per BMC, 8 at a time "
            + "(`xargs -P 8`), as Ironic's ipmitool driver with 8 sync workers; on loopback it is far faster than "
            + "Ironic against real BMCs (no network latency, no Ironic overhead), so the speed-ups here are lower bounds.")
        if let large = fleets.first(where: { $0.count == 10000 }) { lines += ["", targets(large)] }
        return lines.joined(separator: "\n")
    }

    static func passNotes(_ fleet: FleetResult) -> String {
        "- \(fleet.count.formatted()) BMCs, every timed pass: persistent " + fleet.persistent.passes.map(duration).joined(separator: ", ")
            + "; fresh " + fleet.fresh.passes.map(duration).joined(separator: ", ") + " (as the controller timed them, "
            + "before its last Close Sessions were answered: median \(duration(ControllerRun.median(fleet.fresh.passesAsReported)))); "
            + "first pass \(duration(fleet.persistent.firstPass)) with \(fleet.persistent.firstPassTransactions) write "
            + "transactions for \(fleet.count.formatted()) changed nodes."
    }

    static func targets(_ fleet: FleetResult) -> String {
        let ipmitool = fleet.ipmitool.seconds * Double(fleet.count) / Double(fleet.ipmitool.checked)
        func verdict(_ met: Bool) -> String { met ? "**met**" : "**missed**" }
        let persistent = fleet.persistent.median, fresh = fleet.fresh.median
        return [
            "Targets at 10,000 BMCs:",
            "- persistent sessions ≤ 1 s: \(verdict(persistent <= 1)) (median \(duration(persistent)), best \(duration(fleet.persistent.best)))",
            "- fresh sessions ≤ 5 s: \(verdict(fresh <= 5)) (median \(duration(fresh)), best \(duration(fleet.fresh.best)))",
            "- ≥ 100× faster than ipmitool (\(duration(ipmitool))\(fleet.ipmitool.checked < fleet.count ? ", extrapolated" : "")): "
                + "persistent \(verdict(ipmitool / persistent >= 100)) (\(Int(ipmitool / persistent))×), "
                + "fresh \(verdict(ipmitool / fresh >= 100)) (\(Int(ipmitool / fresh))×)",
            "- controller memory ≤ 10 KB per node: \(verdict(fleet.persistent.bytesPerNode <= 10_000)) "
                + "(\(kilobytes(fleet.persistent.bytesPerNode)) with 10,000 sessions open)",
        ].joined(separator: "\n")
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.3f s", seconds) : String(format: "%.1f s", seconds)
    }

    static func kilobytes(_ bytes: Double) -> String { String(format: "%.1f KB", bytes / 1000) }
}

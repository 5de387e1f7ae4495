import Simulation

/// The text `ferrum scenario run` and `explore` print about one run.
struct ScenarioReport {
    let scenario: Scenario
    let file: String
    let seed: UInt64
    let mitigation: MitigationSwitch?
    let result: ScenarioRunResult

    var matchesExpectation: Bool {
        switch scenario.expectation {
        case .invariantsHold: result.violations.isEmpty
        case let .violates(invariant): result.violated(invariant)
        }
    }

    /// The command that runs exactly this again.
    var reproduction: String {
        "ferrum scenario run \(file) --seed \(seed)" + (mitigation.map { " --mitigation \($0.rawValue)" } ?? "")
    }

    func summary(wall: Duration) -> String {
        let counters = result.counters
        let nodes = scenario.fleet.reduce(0) { $0 + $1.count }
        let mitigated = scenario.controller.holdPowerStateUntilApplied ? "on" : "off"
        var lines = ["\(scenario.name), seed \(seed) (mitigation \(mitigated)): \(Self.time(result.virtualDuration)) "
            + "virtual in \(Self.wall(wall)) wall; \(nodes) node\(nodes == 1 ? "" : "s"), \(counters.novaRequests) Nova "
            + "requests, \(counters.powerActions) power actions (\(counters.powerActionsFailed) failed, "
            + "\(counters.refusals) refused), \(counters.syncPasses) sync passes, events \(counters.eventsDelivered) "
            + "delivered / \(counters.eventsDropped) dropped of \(counters.eventsQueued)"]
        let width = scenario.invariants.map(\.rawValue.count).max() ?? 0
        for invariant in scenario.invariants {
            let name = invariant.rawValue + String(repeating: " ", count: width - invariant.rawValue.count)
            if let violation = result.violations.first(where: { $0.invariant == invariant }) {
                lines.append("  \(name)  VIOLATED at \(Self.time(violation.instant)): \(violation.message)")
            } else {
                lines.append("  \(name)  holds")
            }
        }
        let expected = switch scenario.expectation {
        case .invariantsHold: "invariants hold"
        case let .violates(invariant): "violates \(invariant.rawValue)"
        }
        lines.append("  expected: \(expected) — \(matchesExpectation ? "matches" : "DOES NOT MATCH")")
        return lines.joined(separator: "\n")
    }

    /// Trace lines within ±`radius` of `index`, the line itself marked.
    func excerpt(around index: Int, radius: Int = 15) -> String {
        let trace = result.trace
        guard !trace.isEmpty else { return "(empty trace)" }
        let center = min(max(0, index), trace.count - 1)
        let range = max(0, center - radius)...min(trace.count - 1, center + radius)
        var lines = ["trace lines \(range.lowerBound + 1)–\(range.upperBound + 1) of \(trace.count) around the violation:"]
        for position in range {
            let event = trace[position]
            let arrow = event.peer.isEmpty ? "" : " → \(event.peer)"
            let what = event.kind == .violation ? "VIOLATION \(event.invariant): \(event.label)" : event.label
            let time = Self.time(.microseconds(event.at))
            lines.append("\(position == center ? ">>" : "  ") \(String(repeating: " ", count: max(0, 14 - time.count)))\(time)  "
                + "\(event.kind.rawValue)  \(event.lane)\(arrow)  \(what)")
        }
        return lines.joined(separator: "\n")
    }

    /// `12.345 s`, `15m 10.000 s`.
    static func time(_ duration: Duration) -> String {
        let milliseconds = Int64(duration / .milliseconds(1))
        let seconds = milliseconds / 1000, fraction = pad(milliseconds % 1000, 3)
        if seconds >= 3600 { return "\(seconds / 3600)h \(pad(seconds / 60 % 60, 2))m \(pad(seconds % 60, 2)).\(fraction) s" }
        if seconds >= 60 { return "\(seconds / 60)m \(pad(seconds % 60, 2)).\(fraction) s" }
        return "\(seconds).\(fraction) s"
    }

    static func wall(_ duration: Duration) -> String {
        let milliseconds = Int64(duration / .milliseconds(1))
        return milliseconds < 1000 ? "\(milliseconds) ms" : "\(milliseconds / 1000).\(pad(milliseconds % 1000 / 10, 2)) s"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

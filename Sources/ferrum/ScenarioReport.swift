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

    /// Where to look for a violation found at the end of a run: the last state change of the node it names (the
    /// moment the end state was decided), else the violation's own line.
    func focus(of violation: ScenarioViolation) -> Int {
        guard let node = violation.message.split(separator: ":").first.map(String.init), !node.contains(" ") else {
            return violation.traceIndex
        }
        let lanes: Set<String> = ["node:\(node)", "bmc:\(node)"]
        return result.trace[..<min(violation.traceIndex, result.trace.count)].lastIndex {
            $0.kind == .state && (lanes.contains($0.lane) || $0.label.hasPrefix("\(node)/"))
        } ?? violation.traceIndex
    }

    /// The excerpt around a violation's focus, and the violation's own line when the focus is elsewhere.
    func excerpt(for violation: ScenarioViolation) -> String {
        let focus = focus(of: violation)
        var text = excerpt(around: focus)
        if focus != violation.traceIndex, result.trace.indices.contains(violation.traceIndex) {
            text += "\n   …\n>> " + line(result.trace[violation.traceIndex])
        }
        return text
    }

    private func line(_ event: TraceEvent) -> String {
        let arrow = event.peer.isEmpty ? "" : " → \(event.peer)"
        let what = event.kind == .violation ? "VIOLATION \(event.invariant): \(event.label)" : event.label
        let time = Self.time(.microseconds(event.at))
        return "\(String(repeating: " ", count: max(0, 14 - time.count)))\(time)  \(event.kind.rawValue)  \(event.lane)\(arrow)  \(what)"
    }

    /// Up to `radius` trace lines either side of `index`, the line itself marked. IPMI datagrams between a node and
    /// its BMC (keep-alives, status reads) are left out, so the lines shown tell the story; `--trace` has them all.
    func excerpt(around index: Int, radius: Int = 15) -> String {
        let trace = result.trace
        guard !trace.isEmpty else { return "(empty trace)" }
        let center = min(max(0, index), trace.count - 1)
        let isDatagram = { (event: TraceEvent) in
            [.send, .receive, .drop].contains(event.kind) && event.lane.hasPrefix("node:") || event.lane.hasPrefix("bmc:")
                && [.send, .receive, .drop].contains(event.kind)
        }
        let before = trace[..<center].indices.reversed().filter { !isDatagram(trace[$0]) }.prefix(radius).reversed()
        let after = trace[(center + 1)...].indices.filter { !isDatagram(trace[$0]) }.prefix(radius)
        let shown = Array(before) + [center] + Array(after)
        var lines = ["trace around the violation (\(shown.count) of \(trace.count) lines, >> marks the focus; IPMI datagrams "
            + "left out, --trace has them):"]
        for position in shown {
            lines.append((position == center ? ">> " : "   ") + line(trace[position]))
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

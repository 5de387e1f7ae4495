import Foundation
import Simulation

extension ScenarioLiveResult {
    /// What a live run printed at its end: steps skipped, each node as the BMC, the controller and Nova see it,
    /// the counts, and each invariant with its verdict.
    public func summary(for scenario: Scenario) -> String {
        let counters = run.counters
        var lines = ["scenario \(scenario.name) (live, wall time \(Self.seconds(run.virtualDuration)))"]
        for text in unsupported { lines.append("  skipped: \(text)") }
        let width = run.nodes.map(\.name.count).max() ?? 0
        for node in run.nodes {
            let nova = node.novaVMState.map { "\($0)/\(node.novaPowerState ?? 0)/\(node.novaTaskState ?? "None")" } ?? "no instance"
            let padded = node.name + String(repeating: " ", count: width - node.name.count)
            lines.append("  \(padded)  BMC \(node.bmcPowerOn ? "on " : "off")  controller \(node.powerState?.rawValue ?? "None")"
                + (node.maintenance ? " (maintenance)" : "") + "  Nova \(nova)")
        }
        lines.append("  operator requests: \(counters.powerActions) accepted, \(counters.refusals) refused (409), "
            + "\(counters.powerActionsFailed) failed")
        lines.append("  Nova: \(counters.novaRequests) external-events requests; outbox \(counters.eventsQueued) queued, "
            + "\(counters.eventsDelivered) delivered, \(counters.eventsDropped) dropped")
        for invariant in scenario.invariants {
            let broken = run.violations.filter { $0.invariant == invariant }
            lines.append("  \(invariant.rawValue): " + (broken.isEmpty ? "holds" : "VIOLATED"))
            for violation in broken { lines.append("    \(violation.message)") }
        }
        let verdict = matches(scenario.expectation) ? "as expected" : "NOT as expected"
        let expected = switch scenario.expectation {
        case .invariantsHold: "invariants hold"
        case .violates(let invariant): "violates \(invariant.rawValue)"
        }
        lines.append("result: \(run.passed ? "invariants hold" : "\(run.violations.count) violation(s)") — \(verdict) (\(expected))")
        return lines.joined(separator: "\n")
    }

    static func seconds(_ duration: Duration) -> String {
        let millis = duration / .milliseconds(1)
        return "\(Int(millis) / 1000).\(String(format: "%03d", Int(millis) % 1000)) s"
    }
}

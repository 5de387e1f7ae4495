import Simulation

extension ScenarioLiveResult {
    /// Where this live run ended differently from a simulated run of the same scenario: per node the BMC's power, the
    /// controller's record and Nova's vm_state/power_state/task_state, then the invariants each run broke. Empty when
    /// the simulation matched reality on everything the two runs can both see.
    public func differences(from simulated: ScenarioRunResult) -> [String] {
        var found: [String] = []
        let simulatedNodes = Dictionary(simulated.nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for live in run.nodes {
            guard let sim = simulatedNodes[live.name] else {
                found.append("\(live.name): not in the simulated run")
                continue
            }
            func compare(_ what: String, _ liveValue: String, _ simValue: String) {
                if liveValue != simValue { found.append("\(live.name): \(what) live \(liveValue), simulated \(simValue)") }
            }
            compare("BMC power", live.bmcPowerOn ? "on" : "off", sim.bmcPowerOn ? "on" : "off")
            compare("controller power_state", live.powerState?.rawValue ?? "None", sim.powerState?.rawValue ?? "None")
            compare("Nova", Self.nova(live), Self.nova(sim))
        }
        let liveBroken = Set(run.violations.map(\.invariant.rawValue)), simBroken = Set(simulated.violations.map(\.invariant.rawValue))
        if liveBroken != simBroken {
            found.append("violated live: [\(liveBroken.sorted().joined(separator: ", "))], simulated: "
                + "[\(simBroken.sorted().joined(separator: ", "))]")
        }
        return found
    }

    static func nova(_ node: ScenarioNodeFinalState) -> String {
        guard let vmState = node.novaVMState else { return "no instance" }
        return "\(vmState)/\(node.novaPowerState.map(String.init) ?? "?")/\(node.novaTaskState ?? "None")"
    }
}

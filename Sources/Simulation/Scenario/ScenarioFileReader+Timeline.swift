import ControllerCore
import VirtualBMCCore
import Yams

/// The timeline, selectors, invariants, seeds and expectation of a scenario file.
extension ScenarioFileReader {
    /// Action names as written in `action:`, with the extra keys each one takes besides `at`, `jitter` and `nodes`.
    static let actions: [(name: String, needsNodes: Bool, keys: [String])] = PowerAction.allCases.map {
        ($0.rawValue, true, [])
    } + [
        ("nova stop", true, []), ("nova start", true, []), ("press power button", true, []),
        ("set bmc faults", true, ["faults"]), ("rotate credentials", true, ["password", "controller_updated"]),
        ("nova outage begins", false, []), ("nova outage ends", false, []), ("nova sync", false, []),
        ("nova cache refresh", false, []), ("controller sync", false, []),
    ]

    static func readTimeline(_ value: YAMLValue, fleet: [ScenarioNodeGroup]) throws(FleetConfigurationError) -> [ScenarioStep] {
        let index = NodeIndex(fleet)
        var steps: [ScenarioStep] = []
        for item in try value.list() {
            let step = try readStep(item, index: index)
            if let previous = steps.last, step.at < previous.at {
                throw item.error("timeline: this step at \(ScenarioDuration.text(step.at)) comes after one at "
                    + "\(ScenarioDuration.text(previous.at)); keep the timeline in time order")
            }
            steps.append(step)
        }
        return steps
    }

    static func readStep(_ item: YAMLValue, index: NodeIndex) throws(FleetConfigurationError) -> ScenarioStep {
        let mapping = try YAMLValue(node: item.node, key: "step").mapping(keys: ScenarioKeys.step, in: "a timeline step")
        guard let atValue = mapping["at"] else { throw mapping.error("a timeline step needs at: (e.g. at: 10s)") }
        let at = try atValue.duration()
        let jitter = try mapping["jitter"]?.duration() ?? .zero
        guard let actionValue = mapping["action"] else {
            throw mapping.error("a timeline step needs action: (one of: \(actions.map(\.name).joined(separator: ", ")))")
        }
        let name = try actionValue.string()
        guard let known = actions.first(where: { $0.name == name }) else {
            var message = "action: unknown action '\(name)'"
            if let near = actions.map(\.name).min(by: { YAMLMapping.editDistance(name, $0) < YAMLMapping.editDistance(name, $1) }),
               YAMLMapping.editDistance(name, near) <= 3 {
                message += " (did you mean '\(near)'?)"
            }
            throw actionValue.error(message + ". Known actions: " + actions.map(\.name).joined(separator: ", "))
        }
        for key in ["nodes", "faults", "password", "controller_updated"] where mapping[key] != nil {
            let allowed = known.keys + (known.needsNodes ? ["nodes"] : [])
            guard allowed.contains(key) else {
                throw FleetConfigurationError(at: mapping.keyMark(key), "'\(key)' does not go with action '\(name)'"
                    + (allowed.isEmpty ? " (it takes no other keys)" : " (it takes \(allowed.joined(separator: ", ")))"))
            }
        }
        var selector = ScenarioNodeSelector.all
        if known.needsNodes {
            guard let nodesValue = mapping["nodes"] else {
                throw mapping.error("action '\(name)' needs nodes: (all, node-0001, node-[0001-0500] or a list)")
            }
            selector = try readSelector(nodesValue, index: index)
        }
        let action = try makeAction(name, selector: selector, mapping: mapping)
        return ScenarioStep(at: at, action: action, jitter: jitter)
    }

    private static func makeAction(_ name: String, selector: ScenarioNodeSelector,
                                   mapping: YAMLMapping) throws(FleetConfigurationError) -> ScenarioAction {
        if let power = PowerAction(rawValue: name) { return .powerAction(selector, power) }
        switch name {
        case "nova stop": return .novaStop(selector)
        case "nova start": return .novaStart(selector)
        case "press power button": return .pressPowerButton(selector)
        case "set bmc faults":
            guard let value = mapping["faults"] else {
                throw mapping.error("action 'set bmc faults' needs faults: (fleet file fault keys; {} clears them)")
            }
            return .setBMCFaults(selector, try FleetFileReader.readFaults(value, over: .none))
        case "rotate credentials":
            guard let value = mapping["password"] else { throw mapping.error("action 'rotate credentials' needs password:") }
            let password = try value.string()
            // The BMC's key material is at most 20 bytes (IPMI); the value itself never appears in a message.
            guard !password.isEmpty, password.utf8.count <= 20 else {
                throw value.error("password: must be 1 to 20 bytes (IPMI's limit)")
            }
            let updated = try mapping["controller_updated"]?.bool() ?? false
            return .rotateCredentials(selector, newPassword: password, controllerUpdated: updated)
        case "nova outage begins": return .novaOutage(true)
        case "nova outage ends": return .novaOutage(false)
        case "nova sync": return .runNovaSync
        case "nova cache refresh": return .refreshNovaCache
        default: return .runControllerSync
        }
    }

    // MARK: Selectors

    /// The fleet's names, for checking selectors against it.
    struct NodeIndex {
        let groups: [String: ScenarioNodeGroup]
        let fleet: [ScenarioNodeGroup]

        init(_ fleet: [ScenarioNodeGroup]) {
            self.fleet = fleet
            groups = Dictionary(fleet.map { ($0.prefix, $0) }, uniquingKeysWith: { first, _ in first })
        }

        /// The group and 1-based index of a node name, if the fleet has it.
        func locate(_ name: String) -> (group: ScenarioNodeGroup, index: Int)? {
            guard let dash = name.lastIndex(of: "-"), let group = groups[String(name[..<dash])] else { return nil }
            let digits = name[name.index(after: dash)...]
            guard digits.count <= 9, let index = Int(digits), (1...group.count).contains(index),
                  ScenarioNodeNames.name(prefix: group.prefix, index: index, count: group.count) == name else { return nil }
            return (group, index)
        }

        var example: String {
            fleet.first.map { ScenarioNodeNames.name(prefix: $0.prefix, index: 1, count: $0.count) } ?? "node-0001"
        }
    }

    static func readSelector(_ value: YAMLValue, index: NodeIndex) throws(FleetConfigurationError) -> ScenarioNodeSelector {
        if case .sequence = value.node {
            var names: [String] = []
            for item in try value.list() {
                let text = try item.string()
                guard text != "all" else { throw item.error("nodes: 'all' stands alone, not inside a list") }
                switch try readSelectorText(text, value: item, index: index) {
                case let .range(prefix, first, last):
                    let group = index.groups[prefix]!
                    names += (first...last).map { ScenarioNodeNames.name(prefix: prefix, index: $0, count: group.count) }
                case let .names(more): names += more
                case .all: break
                }
            }
            guard !names.isEmpty else { throw value.error("nodes: the list is empty") }
            return .names(names)
        }
        return try readSelectorText(value.string(), value: value, index: index)
    }

    private static func readSelectorText(_ text: String, value: YAMLValue,
                                         index: NodeIndex) throws(FleetConfigurationError) -> ScenarioNodeSelector {
        if text == "all" { return .all }
        if text.hasSuffix("]"), let open = text.firstIndex(of: "["), text[..<open].hasSuffix("-") {
            let prefix = String(text[..<text.index(before: open)])
            let bounds = text[text.index(after: open)..<text.index(before: text.endIndex)]
                .split(separator: "-", omittingEmptySubsequences: false)
            guard let group = index.groups[prefix] else {
                throw value.error("nodes: no node group has prefix '\(prefix)' (groups: "
                    + index.fleet.map(\.prefix).joined(separator: ", ") + ")")
            }
            guard bounds.count == 2, bounds.allSatisfy({ $0.count <= 9 }), let first = Int(bounds[0]),
                  let last = Int(bounds[1]) else {
                throw value.error("nodes: '\(text)' is not a range; write \(prefix)-[0001-0500]")
            }
            guard 1 <= first, first <= last, last <= group.count else {
                throw value.error("nodes: \(text) must satisfy 1 ≤ first ≤ last ≤ \(group.count) (the group's count)")
            }
            return .range(prefix: prefix, first: first, last: last)
        }
        guard index.locate(text) != nil else {
            throw value.error("nodes: no node '\(text)' in the fleet; write all, a name such as \(index.example), "
                + "a range such as \(index.fleet.first?.prefix ?? "node")-[0001-0010], or a list of them")
        }
        return .names([text])
    }

    // MARK: Checks and pins

    static func readInvariants(_ value: YAMLValue) throws(FleetConfigurationError) -> [ScenarioInvariant] {
        var invariants: [ScenarioInvariant] = []
        for item in try value.list() {
            let invariant = try readInvariantName(item)
            guard !invariants.contains(invariant) else { throw item.error("invariants: '\(invariant.rawValue)' is listed twice") }
            invariants.append(invariant)
        }
        return invariants
    }

    static func readInvariantName(_ value: YAMLValue, text: String? = nil) throws(FleetConfigurationError) -> ScenarioInvariant {
        let name = if let text { text } else { try value.string() }
        if let invariant = ScenarioInvariant(rawValue: name) { return invariant }
        let known = ScenarioInvariant.allCases.map(\.rawValue)
        var message = "\(value.key): unknown invariant '\(name)'"
        if let near = known.min(by: { YAMLMapping.editDistance(name, $0) < YAMLMapping.editDistance(name, $1) }),
           YAMLMapping.editDistance(name, near) <= 3 {
            message += " (did you mean '\(near)'?)"
        }
        throw value.error(message + ". Known invariants: " + known.joined(separator: ", "))
    }

    static func readSeeds(_ value: YAMLValue) throws(FleetConfigurationError) -> [UInt64] {
        var seeds: [UInt64] = []
        for item in try value.list() {
            let seed = try item.unsigned64()
            guard !seeds.contains(seed) else { throw item.error("seeds: \(seed) is listed twice") }
            seeds.append(seed)
        }
        guard !seeds.isEmpty else { throw value.error("seeds: pin at least one seed") }
        return seeds
    }

    /// `invariants hold` or `violates <invariant>`.
    static func readExpectation(_ value: YAMLValue,
                                invariants: [ScenarioInvariant]) throws(FleetConfigurationError) -> ScenarioExpectation {
        let text = try value.string()
        if text == "invariants hold" { return .invariantsHold }
        guard text.hasPrefix("violates ") else {
            throw value.error("expect: write 'invariants hold' or 'violates <invariant>', got '\(text)'")
        }
        let invariant = try readInvariantName(value, text: String(text.dropFirst("violates ".count)))
        guard invariants.contains(invariant) else {
            throw value.error("expect: '\(invariant.rawValue)' is not among this scenario's invariants")
        }
        return .violates(invariant)
    }
}

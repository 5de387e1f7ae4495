/// The columns of a timeline: components in a fixed order (scenario, controller, notifier, nodes, BMCs, Nova's
/// API, compute hosts, Nova's sync, anything else), each node followed by its BMC, and the least active nodes folded
/// into shared "others" columns when there are too many to draw one by one.
struct TimelineLanes {
    private(set) var ordered: [String] = []
    /// How many nodes were folded into the "others" columns.
    private(set) var folded = 0
    private var kept: Set<String> = []

    static let otherNodes = "node:…others"
    static let otherBMCs = "bmc:…others"

    init(window: ArraySlice<TraceEvent>, violations: [TimelineRenderer.Violation], maxNodeLanes: Int) {
        var firstSeen: [String: Int] = [:]
        var activity: [String: Int] = [:]
        for (offset, event) in window.enumerated() {
            for lane in [event.lane, event.peer] where !lane.isEmpty {
                if firstSeen[lane] == nil { firstSeen[lane] = offset }
                if let node = Self.nodeName(lane) { activity[node, default: 0] += 1 }
            }
        }
        let violationText = violations.map(\.message).joined(separator: " ")
            + window.filter { $0.kind == .violation }.map(\.label).joined(separator: " ")
        // Nodes named in a violation first, then the busiest, then by name so equal traces draw equally.
        let nodes = activity.keys.sorted { lhs, rhs in
            let (lhsNamed, rhsNamed) = (violationText.contains(lhs), violationText.contains(rhs))
            if lhsNamed != rhsNamed { return lhsNamed }
            if activity[lhs]! != activity[rhs]! { return activity[lhs]! > activity[rhs]! }
            return lhs < rhs
        }
        kept = Set(nodes.prefix(maxNodeLanes))
        folded = max(0, nodes.count - maxNodeLanes)
        var lanes = Set(firstSeen.keys.map { Self.fold($0, kept: kept) })
        lanes.insert("scenario")
        ordered = lanes.sorted { lhs, rhs in
            let (lhsKey, rhsKey) = (Self.sortKey(lhs), Self.sortKey(rhs))
            return lhsKey.rank != rhsKey.rank ? lhsKey.rank < rhsKey.rank
                : lhsKey.name != rhsKey.name ? lhsKey.name < rhsKey.name : !lhsKey.bmc && rhsKey.bmc
        }
    }

    /// The column an event's lane is drawn in.
    func column(of lane: String) -> String {
        lane.isEmpty ? "scenario" : Self.fold(lane, kept: kept)
    }

    static func nodeName(_ lane: String) -> String? {
        for prefix in ["node:", "bmc:"] where lane.hasPrefix(prefix) { return String(lane.dropFirst(prefix.count)) }
        return nil
    }

    private static func fold(_ lane: String, kept: Set<String>) -> String {
        guard let node = nodeName(lane), !kept.contains(node) else { return lane }
        return lane.hasPrefix("node:") ? otherNodes : otherBMCs
    }

    /// Nodes and their BMCs interleave (node-0001, bmc node-0001, node-0002, …), folded columns last among them.
    private static func sortKey(_ lane: String) -> (rank: Int, name: String, bmc: Bool) {
        switch lane {
        case "scenario": return (0, "", false)
        case "controller": return (1, "", false)
        case "notifier": return (2, "", false)
        case otherNodes: return (4, "", false)
        case otherBMCs: return (4, "", true)
        case "nova-api": return (5, "", false)
        case "nova-sync": return (7, "", false)
        default:
            if let node = nodeName(lane) { return (3, node, lane.hasPrefix("bmc:")) }
            if lane.hasPrefix("nova-compute") { return (6, lane, false) }
            return (8, lane, false)
        }
    }
}

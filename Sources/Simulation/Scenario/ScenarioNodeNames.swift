/// How a scenario names its nodes, as `ScenarioWorld` does: group `node` with count 500 holds `node-0001` …
/// `node-0500` (the index padded to at least four digits), and selectors such as `node-[0001-0500]` pick a run.
public enum ScenarioNodeNames {
    public static let maxCount = 100_000

    public static func name(prefix: String, index: Int, count: Int) -> String {
        let digits = String(index)
        return prefix + "-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Every node name of a group, in order.
    public static func names(of group: ScenarioNodeGroup) -> [String] {
        (1...max(1, group.count)).map { name(prefix: group.prefix, index: $0, count: group.count) }
    }

    /// The names a selector picks in this fleet, in fleet order for `all` and ranges, file order for lists.
    public static func resolve(_ selector: ScenarioNodeSelector, in fleet: [ScenarioNodeGroup]) -> [String] {
        switch selector {
        case .all:
            return fleet.flatMap(names(of:))
        case let .names(names):
            return names
        case let .range(prefix, first, last):
            guard let group = fleet.first(where: { $0.prefix == prefix }), first <= last else { return [] }
            return (first...last).map { name(prefix: prefix, index: $0, count: group.count) }
        }
    }

    /// Plain names only: they appear in lanes (`node:<name>`), URLs and on command lines.
    static func isValidPrefix(_ prefix: String) -> Bool {
        let bytes = Array(prefix.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= 48 else { return false }
        let isLetter = { (byte: UInt8) in (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        let isDigit = { (byte: UInt8) in (0x30...0x39).contains(byte) }
        guard isLetter(first), last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { isLetter($0) || isDigit($0) || [UInt8(ascii: "."), UInt8(ascii: "_"),
                                                                 UInt8(ascii: "-")].contains($0) }
    }
}

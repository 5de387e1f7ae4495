import Yams

/// One YAML node and the key it stood under, so that every error can say what was wrong and where.
///
/// Scalars are read from their text, not through YAML's type resolution: a password written `0123` stays "0123",
/// and `power: on` is the word "on" rather than YAML 1.1's boolean. Numbers and booleans must be plain (unquoted)
/// scalars, because a quoted `"623"` is a string and a quoted number is usually a mistake worth pointing at.
package struct YAMLValue {
    package let node: Node
    /// The key for messages: "port", "faults", "user".
    package let key: String

    package init(node: Node, key: String) {
        self.node = node
        self.key = key
    }

    package var mark: Mark? { node.mark }

    package func error(_ message: String) -> FleetConfigurationError {
        FleetConfigurationError(at: mark, message)
    }

    func error(_ problem: Problem) -> FleetConfigurationError {
        error(problem.message)
    }

    /// Wraps a rule check so its problem lands on this value's line.
    func checked<T>(_ body: () throws(Problem) -> T) throws(FleetConfigurationError) -> T {
        do { return try body() } catch { throw self.error(error) }
    }

    package var isNull: Bool {
        guard case let .scalar(scalar) = node else { return false }
        // Tags are ignored like everywhere else here, except an explicit !!null.
        if scalar.tag.description == Tag.Name.null.rawValue { return true }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// What the node is, for "expected ..., got ..." messages.
    package var kindDescription: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case let .scalar(scalar):
            if isNull { return "nothing" }
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            return quoted ? "the quoted string \"\(scalar.string)\"" : "'\(scalar.string)'"
        }
    }

    package func string() throws(FleetConfigurationError) -> String {
        guard case let .scalar(scalar) = node, !isNull else {
            throw error("\(key): expected text, got \(kindDescription)")
        }
        return scalar.string
    }

    /// The text of an unquoted scalar, for numbers and booleans.
    private func plainText(expecting what: String) throws(FleetConfigurationError) -> String {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any, !isNull else {
            throw error("\(key): expected \(what), got \(kindDescription)")
        }
        return scalar.string
    }

    package func integer() throws(FleetConfigurationError) -> Int {
        let text = try plainText(expecting: "an integer")
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy(Rules.isDigit) else {
            throw error("\(key): expected an integer, got '\(text)'")
        }
        guard let value = Int(text) else { throw error("\(key): \(text) is too large") }
        return value
    }

    package func unsigned64() throws(FleetConfigurationError) -> UInt64 {
        let value = try plainText(expecting: "an integer")
        guard let number = UInt64(value) else {
            throw error("\(key): expected an integer between 0 and \(UInt64.max), got '\(value)'")
        }
        return number
    }

    package func bool() throws(FleetConfigurationError) -> Bool {
        let text = try plainText(expecting: "true or false")
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw error("\(key): expected true or false, got '\(text)'")
        }
    }

    package func probability() throws(FleetConfigurationError) -> Double {
        let text = try plainText(expecting: "a probability between 0 and 1")
        do { return try Rules.probability(text) } catch { throw self.error("\(key): \(error.message)") }
    }

    package func milliseconds() throws(FleetConfigurationError) -> Duration {
        let text = try plainText(expecting: "milliseconds")
        do { return try Rules.milliseconds(text) } catch { throw self.error("\(key): \(error.message)") }
    }

    package func list() throws(FleetConfigurationError) -> [YAMLValue] {
        guard case let .sequence(sequence) = node else { throw error("\(key): expected a list, got \(kindDescription)") }
        return sequence.map { YAMLValue(node: $0, key: key) }
    }

    package func mapping(keys: [String], in what: String) throws(FleetConfigurationError) -> YAMLMapping {
        try YAMLMapping(self, keys: keys, in: what)
    }
}

/// A YAML mapping whose keys were checked against the keys it may have; unknown keys are errors, since a typo
/// silently falling back to a default is the worst kind of configuration bug.
package struct YAMLMapping {
    package let mark: Mark?
    private var values: [String: YAMLValue] = [:]
    private var keyMarks: [String: Mark] = [:]

    package init(_ value: YAMLValue, keys allowed: [String], in what: String) throws(FleetConfigurationError) {
        guard case let .mapping(mapping) = value.node else {
            throw value.error("\(value.key): expected a mapping, got \(value.kindDescription)")
        }
        mark = value.mark
        for (keyNode, valueNode) in mapping {
            guard case let .scalar(scalar) = keyNode else {
                throw FleetConfigurationError(at: keyNode.mark, "keys in \(what) must be plain names")
            }
            let key = scalar.string
            guard allowed.contains(key) else {
                throw FleetConfigurationError(at: keyNode.mark, Self.unknownKeyMessage(key, allowed: allowed, in: what))
            }
            values[key] = YAMLValue(node: valueNode, key: key)
            keyMarks[key] = keyNode.mark
        }
    }

    package subscript(key: String) -> YAMLValue? { values[key] }

    package func keyMark(_ key: String) -> Mark? { keyMarks[key] }

    package func error(_ message: String) -> FleetConfigurationError {
        FleetConfigurationError(at: mark, message)
    }

    private static func unknownKeyMessage(_ key: String, allowed: [String], in what: String) -> String {
        var message = "unknown key '\(key)' in \(what)"
        if let near = allowed.min(by: { editDistance(key, $0) < editDistance(key, $1) }), editDistance(key, near) <= 2 {
            message += " (did you mean '\(near)'?)"
        }
        if key == "<<" { message += " (YAML merge keys are not supported; put shared settings in defaults:)" }
        return message + ". Known keys: " + allowed.joined(separator: ", ")
    }

    /// Levenshtein distance, for "did you mean" hints on short keys.
    package static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension FleetConfigurationError {
    package init(at mark: Mark?, _ message: String) {
        self.init(line: mark?.line, column: mark?.column, message: message)
    }
}

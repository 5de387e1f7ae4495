/// Why a value was refused. The loader adds the line, section and option, so the message is just about the value.
struct ValueProblem: Error {
    var message: String
}

/// Parsers for option values, following oslo.config's types where they are well defined.
enum ConfigValue {
    /// No duration may exceed a year: anything longer is a typo, and keeping values small means no clock or
    /// back-off computation downstream can overflow.
    static let longestSeconds = 31_536_000

    /// oslo.config's `types.Boolean` forms, case-insensitive.
    static func bool(_ text: String) throws(ValueProblem) -> Bool {
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        case "": throw ValueProblem(message: "has no value")
        default: throw ValueProblem(message: "\(quoted(text)) is not a boolean; use true/false, yes/no, on/off or 1/0")
        }
    }

    static func integer(_ text: String, min: Int, max: Int = .max, unit: String = "") throws(ValueProblem) -> Int {
        guard !text.isEmpty else { throw ValueProblem(message: "has no value") }
        guard let value = Int(text) else {
            let digits = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
            // All digits but no Int: it overflowed, which is a range problem rather than a typing one.
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw outOfRange(text, min: "\(min)", max: max == .max ? nil : "\(max)", unit: unit)
            }
            throw ValueProblem(message: "\(quoted(text)) is not a whole number" + (unit.isEmpty ? "" : " of \(unit)"))
        }
        guard value >= min, value <= max else {
            throw outOfRange(text, min: "\(min)", max: max == .max ? nil : "\(max)", unit: unit)
        }
        return value
    }

    /// Ironic's interval and timeout options are whole seconds.
    static func wholeSeconds(_ text: String, min: Int) throws(ValueProblem) -> Duration {
        .seconds(try integer(text, min: min, max: longestSeconds, unit: "seconds"))
    }

    /// Fractional seconds, as oslo's `FloatOpt`; infinities and NaN are refused.
    static func seconds(_ text: String, min: Double) throws(ValueProblem) -> Duration {
        guard !text.isEmpty else { throw ValueProblem(message: "has no value") }
        guard let value = Double(text), value.isFinite else {
            throw ValueProblem(message: "\(quoted(text)) is not a number of seconds")
        }
        guard value >= min, value <= Double(longestSeconds) else {
            throw outOfRange(text, min: "\(min)", max: "\(longestSeconds)", unit: "seconds")
        }
        return .seconds(value)
    }

    /// A comma-separated list of names; blanks around and inside names are dropped, an empty list is refused.
    static func names(_ text: String) throws(ValueProblem) -> [String] {
        let names = text.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValueProblem(message: "has no value") }
        return names
    }

    static func nonEmpty(_ text: String) throws(ValueProblem) -> String {
        guard !text.isEmpty else { throw ValueProblem(message: "has no value") }
        return text
    }

    static func choice<Choice: RawRepresentable & CaseIterable>(_ text: String, _: Choice.Type) throws(ValueProblem)
        -> Choice where Choice.RawValue == String {
        if let choice = Choice(rawValue: text) { return choice }
        let names = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        throw ValueProblem(message: "\(quoted(text)) is not one of \(names)")
    }

    /// A host name or address to listen on; only the obviously broken is refused here, the socket judges the rest.
    /// `localhost`, `::1` and 127.0.0.0/8.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    static func host(_ text: String) throws(ValueProblem) -> String {
        guard !text.isEmpty else { throw ValueProblem(message: "has no value") }
        guard !text.contains(where: \.isWhitespace) else {
            throw ValueProblem(message: "\(quoted(text)) is not a host name or address")
        }
        return text
    }

    /// SQLAlchemy's SQLite URLs: `sqlite:///relative` (here relative to the config file's directory, so a service
    /// does not depend on its working directory) and `sqlite:////absolute`. The URL is never echoed: other
    /// databases' URLs carry passwords.
    static func sqlitePath(_ url: String, baseDirectory: String) throws(ValueProblem) -> String {
        let usage = "use sqlite:///relative/path.sqlite or sqlite:////absolute/path.sqlite"
        guard let separator = url.firstRange(of: "://") else {
            throw ValueProblem(message: url.isEmpty ? "has no value" : "is not a database URL; \(usage)")
        }
        let scheme = String(url[..<separator.lowerBound])
        guard scheme.lowercased() == "sqlite" else {
            throw ValueProblem(message: "\(quoted(scheme)) databases are not supported; only sqlite:// is supported")
        }
        let rest = url[separator.upperBound...]
        guard rest.first == "/" else {
            let problem = rest.isEmpty ? "names an in-memory database, which would lose every node on restart"
                : "names a host, but SQLite is a local file"
            throw ValueProblem(message: "\(problem); \(usage)")
        }
        let path = String(rest.dropFirst())
        if path.isEmpty || path == ":memory:" {
            throw ValueProblem(message: "names an in-memory database, which would lose every node on restart; \(usage)")
        }
        if path.contains("?") { throw ValueProblem(message: "URL query parameters are not supported; \(usage)") }
        if path.contains("\0") { throw ValueProblem(message: "the path contains a NUL character") }
        if path.hasSuffix("/") { throw ValueProblem(message: "the path names a directory, not a database file") }
        if path.hasPrefix("/") || baseDirectory.isEmpty { return path }
        return baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path
    }

    private static func outOfRange(_ text: String, min: String, max: String?, unit: String) -> ValueProblem {
        let bounds = max.map { "from \(min) to \($0)" } ?? "at least \(min)"
        let message = "\(quoted(text)) is out of range: it must be \(bounds)"
        return ValueProblem(message: message + (unit.isEmpty ? "" : " \(unit)"))
    }

    /// oslo keeps `value # note` whole, so the note makes the value invalid; say so rather than leave it a puzzle.
    static func commentHint(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        let inline = zip(scalars, scalars.dropFirst()).contains { pair in
            pair.0.properties.isWhitespace && (pair.1 == "#" || pair.1 == ";")
        }
        return inline ? " (comments must be on a line of their own)" : ""
    }

    /// A value as shown in messages: quoted, control characters escaped, and cut short so a stray paste stays
    /// readable.
    static func quoted(_ text: String) -> String {
        let limit = 60
        let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
        return String(reflecting: shown)
    }

    /// `30 s`, `0.5 s`: durations in messages as the file writes them, in seconds.
    static func secondsText(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        return "\(Double(seconds) + Double(attoseconds) / 1e18) s"
    }

    /// "Did you mean": the candidate closest to `name`, ignoring case and `-` for `_`, if it is close enough.
    static func closestName(to name: String, among candidates: [String]) -> String? {
        // Long garbage gets no suggestion; it also keeps the quadratic distance cheap on any input.
        guard name.unicodeScalars.count <= 64 else { return nil }
        let wanted = normalized(name)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let other = normalized(candidate)
            var distance = editDistance(wanted, other)
            // `host` for `host_ip`, `keepalive` for `keepalive_interval`: a clear prefix is a near miss.
            if wanted.count >= 4, other.starts(with: wanted) || wanted.starts(with: other) {
                distance = min(distance, 1)
            }
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= max(2, wanted.count / 4) else { return nil }
        return best.name
    }

    /// Names equal but for case and `-` for `_`.
    static func sameName(_ a: String, _ b: String) -> Bool { normalized(a) == normalized(b) }

    private static func normalized(_ name: String) -> [Unicode.Scalar] {
        Array(name.lowercased().unicodeScalars).map { $0 == "-" ? "_" : $0 }
    }

    /// Optimal string alignment distance: Levenshtein plus adjacent transpositions, the commonest typo.
    private static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}

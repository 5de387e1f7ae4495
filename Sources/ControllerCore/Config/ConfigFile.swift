/// A problem in the controller's config file. Every problem found in the file names its line, so an operator can
/// go straight to it; `section` and `option` say what the line was setting when that is known.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int?
    public var section: String?
    public var option: String?
    public var message: String

    public init(line: Int?, section: String? = nil, option: String? = nil, message: String) {
        self.line = line
        self.section = section
        self.option = option
        self.message = message
    }

    /// `line 12: [conductor] sync_power_state_interval: …`; the shell adds the file name with `description(file:)`.
    public var description: String { render(prefix: line.map { "line \($0): " } ?? "") }

    /// `ferrum.conf:12: [conductor] sync_power_state_interval: …`, the form compilers use, so editors can jump to it.
    public func description(file: String) -> String {
        render(prefix: file + (line.map { ":\($0)" } ?? "") + ": ")
    }

    private func render(prefix: String) -> String {
        var subject = section.map { "[\($0)]" } ?? ""
        if let option { subject += subject.isEmpty ? option : " " + option }
        return prefix + (subject.isEmpty ? "" : subject + ": ") + message
    }
}

/// The INI layer of the config file, oslo.config style: `[section]` headers, `key = value` lines, whole-line `#`
/// and `;` comments, blank lines. It knows nothing of the options; `ControllerConfiguration` gives them meaning.
public struct ConfigFile: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var key: String
        public var value: String
        public var line: Int

        public init(key: String, value: String, line: Int) {
            (self.key, self.value, self.line) = (key, value, line)
        }
    }

    public struct Section: Hashable, Sendable {
        public var name: String
        public var line: Int
        public var entries: [Entry]

        public init(name: String, line: Int, entries: [Entry]) {
            (self.name, self.line, self.entries) = (name, line, entries)
        }
    }

    /// In file order. A section whose header appears twice is listed twice, as written; oslo merges them, and so
    /// does the loader.
    public var sections: [Section]
    public var lineCount: Int

    /// Differences from oslo, all on purpose: leading whitespace is ignored rather than starting a continuation
    /// line (no option here takes a multi-line value, and an indented `key = value` silently joining the line
    /// above is a trap), and only `=` separates a key from its value, as ironic.conf files are written.
    public init(parsing text: String) throws(ConfigurationError) {
        sections = []
        lineCount = 0
        for raw in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            lineCount += 1
            var scalars = String.UnicodeScalarView(raw)
            if scalars.last == "\r" { scalars.removeLast() }
            if lineCount == 1, scalars.first == "\u{FEFF}" { scalars.removeFirst() }
            try read(String(scalars).trimmed, line: lineCount)
        }
    }

    private mutating func read(_ text: String, line: Int) throws(ConfigurationError) {
        if text.isEmpty || text.hasPrefix("#") || text.hasPrefix(";") { return }
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else {
                throw ConfigurationError(line: line, message: "a section header must look like [name]")
            }
            let name = String(text.dropFirst().dropLast()).trimmed
            guard !name.isEmpty else { throw ConfigurationError(line: line, message: "the section header has no name") }
            sections.append(Section(name: name, line: line, entries: []))
            return
        }
        guard let equals = text.firstIndex(of: "=") else {
            let expected = "expected [section], key = value, or a comment starting with # or ;"
            throw ConfigurationError(line: line, message: expected + ", not " + ConfigValue.quoted(text))
        }
        let key = String(text[..<equals]).trimmed
        guard !key.isEmpty else { throw ConfigurationError(line: line, message: "no option name before =") }
        guard !sections.isEmpty else {
            throw ConfigurationError(
                line: line,
                option: key,
                message: "option outside any section; put it under its [section] header"
            )
        }
        let value = String(text[text.index(after: equals)...]).trimmed
        sections[sections.count - 1].entries.append(Entry(key: key, value: unquoted(value), line: line))
    }

    /// oslo strips one pair of matching quotes around a value, so `host_ip = "::1"` means `::1`.
    private func unquoted(_ value: String) -> String {
        guard value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first else {
            return value
        }
        return String(value.dropFirst().dropLast())
    }
}

extension String {
    fileprivate var trimmed: String {
        guard let start = firstIndex(where: { !$0.isWhitespace }), let end = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[start...end])
    }
}

import Yams

/// Turns text into one YAML node tree, translating Yams' errors into located `FleetConfigurationError`s.
package enum YAMLDocument {
    /// `emptyMessage` is what an empty file is told (the scenario reader shares this function).
    package static func compose(_ text: String, emptyMessage: String = "the fleet file is empty; it needs at least 'bmcs:'")
        throws(FleetConfigurationError) -> Node {
        let root: Node?
        do {
            // The basic resolver tags nothing: the reader interprets scalar text itself (see `YAMLValue`), and
            // skipping the default resolver's regular expressions keeps large fleet files fast.
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch let error as YamlError {
            throw located(error, in: text)
        } catch {
            throw FleetConfigurationError(message: "cannot read the file as YAML: \(error)")
        }
        guard let root, !YAMLValue(node: root, key: "file").isNull else {
            throw FleetConfigurationError(line: 1, message: emptyMessage)
        }
        return root
    }

    static func located(_ error: YamlError, in text: String) -> FleetConfigurationError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text), line \(context.mark.line) column \(context.mark.column))"
            }
            return FleetConfigurationError(at: mark, message)
        case let .composer(_, problem, mark, _):
            if problem == "but found another document" {
                return FleetConfigurationError(at: mark, "a fleet file holds one YAML document; another one starts here")
            }
            return FleetConfigurationError(at: mark, "invalid YAML: \(problem)")
        case let .reader(problem, offset, value, _):
            let (line, column) = position(ofCharacter: offset ?? 0, in: text)
            let hex = String(value, radix: 16, uppercase: true)
            let code = value >= 0 ? " (U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex))" : ""
            return FleetConfigurationError(line: line, column: column, message: "invalid YAML: \(problem)\(code)")
        case let .duplicatedKeysInMapping(duplicates, context):
            // Yams reports where the key first appears; the line to fix is usually the repeat, so look for it.
            let key = duplicates.first ?? "?"
            let first = context.mark
            if let (line, column) = repeatedKey(key, after: first, in: text) {
                return FleetConfigurationError(line: line, column: column,
                                               message: "duplicate key '\(key)' (first at line \(first.line))")
            }
            return FleetConfigurationError(at: first, "key '\(key)' appears more than once in this mapping")
        default:
            return FleetConfigurationError(message: "invalid YAML: \(error)")
        }
    }

    /// The 1-based line and column of the character at `offset` (in Characters, as Yams counts reader offsets).
    static func position(ofCharacter offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }

    /// Finds the repeat of a block-mapping key: the next line at the same indentation that starts with the key,
    /// before the mapping ends (a line indented less). Flow mappings are not searched; the caller falls back.
    static func repeatedKey(_ key: String, after first: Mark, in text: String) -> (Int, Int)? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let indent = first.column - 1
        guard first.line >= 1, first.line < lines.count else { return nil }
        for index in first.line..<lines.count {
            let line = lines[index]
            let content = line.drop { $0 == " " }
            if content.allSatisfy(\.isWhitespace) || content.hasPrefix("#") { continue }
            let column = line.count - content.count
            if column < indent { return nil }
            guard column == indent else { continue }
            for spelling in [key, "\"\(key)\"", "'\(key)'"] where content.hasPrefix(spelling) {
                if content.dropFirst(spelling.count).drop(while: { $0 == " " }).hasPrefix(":") {
                    return (index + 1, indent + 1)
                }
            }
        }
        return nil
    }
}

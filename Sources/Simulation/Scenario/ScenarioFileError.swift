import VirtualBMCCore

/// A problem in a scenario file, placed as compilers place theirs: `scenarios/seed-race.yaml:12:5: message`.
public struct ScenarioFileError: Error, CustomStringConvertible, Equatable {
    /// The path as given to the reader.
    public var file: String
    /// 1-based; nil when the problem has no single place (an unreadable file).
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    init(file: String, _ error: FleetConfigurationError) {
        self.init(file: file, line: error.line, column: error.column, message: error.message)
    }

    public var description: String {
        switch (line, column) {
        case let (line?, column?): "\(file):\(line):\(column): \(message)"
        case let (line?, nil): "\(file):\(line): \(message)"
        default: "\(file): \(message)"
        }
    }
}

/// Durations as people write them in scenario files: `250ms`, `2s`, `1.5s`, `10m`, `1h`, `0`. Exact to the
/// nanosecond (no binary floating point), bounded to a week so later arithmetic on instants cannot overflow.
enum ScenarioDuration {
    static let longest = Duration.seconds(7 * 86_400)
    private static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ms", 1_000_000), ("us", 1_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// nil with a reason when the text is not a duration.
    static func parse(_ text: String) -> Result<Duration, DurationProblem> {
        if text == "0" { return .success(.zero) }
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }) else { return .failure(.noUnit) }
        let number = text.dropLast(unit.suffix.count)
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.utf8.allSatisfy(isDigit),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].utf8.allSatisfy(isDigit)) else {
            return .failure(.notANumber)
        }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard whole.count <= 9, fraction.count <= 9, let wholeValue = Int64(whole) else { return .failure(.tooLong) }
        var scale: Int128 = 1
        for _ in 0..<fraction.count { scale *= 10 }
        let fractionValue = Int128(fraction.isEmpty ? "0" : String(fraction)) ?? 0
        let total = Int128(wholeValue) * Int128(unit.nanoseconds) + fractionValue * Int128(unit.nanoseconds) / scale
        guard total <= Int128(longest.components.seconds) * 1_000_000_000 else { return .failure(.tooLong) }
        return .success(.nanoseconds(Int64(total)))
    }

    enum DurationProblem: Error {
        case noUnit, notANumber, tooLong

        func message(_ text: String) -> String {
            switch self {
            case .noUnit: "expected a duration with a unit such as 250ms, 2s, 10m or 1h, got '\(text)'"
            case .notANumber: "expected a duration such as 250ms, 1.5s, 10m or 1h, got '\(text)'"
            case .tooLong: "'\(text)' is longer than a week"
            }
        }
    }

    /// `1h 2m 3.5s` style text for summaries and error messages.
    static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 != 0 || milliseconds < 1000 { return "\(milliseconds)ms" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}

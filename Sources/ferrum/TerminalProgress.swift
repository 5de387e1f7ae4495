import Foundation

/// One line on standard error, redrawn in place; nothing at all when standard error is not a terminal, so logs and
/// pipes get only the final result.
struct StatusLine {
    let isTerminal = isatty(STDERR_FILENO) != 0

    func show(_ text: String) {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
    }

    func clear() {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// `enrolled 4,213/10,000 ▕████▌   ▏ 1,850/s`, at most ten redraws a second.
struct ProgressBar {
    let label: String
    let total: Int
    let start: ContinuousClock.Instant
    private(set) var done = 0
    private var drawn: ContinuousClock.Instant?
    private let line = StatusLine()

    init(label: String, total: Int, start: ContinuousClock.Instant) {
        self.label = label
        self.total = total
        self.start = start
    }

    mutating func advance(failed: Int) {
        done += 1
        let now = ContinuousClock.now
        guard line.isTerminal, done == total || drawn.map({ now - $0 >= .milliseconds(100) }) ?? true else { return }
        drawn = now
        let elapsed = now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int(Double(done) / seconds) : 0
        let failures = failed > 0 ? ", \(grouped(failed)) failed" : ""
        line.show("\(label) \(grouped(done))/\(grouped(total)) ▕\(Self.bar(Double(done) / Double(max(total, 1))))▏ \(grouped(rate))/s\(failures)")
    }

    func finish() { line.clear() }

    /// Twenty cells, each in eighths.
    static func bar(_ fraction: Double, width: Int = 20) -> String {
        let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded(.down))
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
        let filled = String(repeating: "█", count: eighths / 8) + partial
        return filled + String(repeating: " ", count: width - filled.count)
    }
}

/// 10000 → "10,000", whatever the locale.
func grouped(_ number: Int) -> String {
    let digits = String(number.magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { result += "," }
        result.append(digit)
    }
    return (number < 0 ? "-" : "") + result
}

extension Duration {
    /// Whole nanoseconds, the unit jitter is drawn in; saturates instead of trapping on absurd values.
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }

    /// Whole milliseconds (truncated), the unit of snapshots.
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

extension RandomNumberGenerator {
    /// True with probability `probability`. Draws nothing when the answer is certain, so a fault that is off does
    /// not shift the random stream of the faults that are on.
    mutating func happens(_ probability: Double) -> Bool {
        guard probability > 0 else { return false }
        guard probability < 1 else { return true }
        return Double(next() >> 11) * 0x1p-53 < probability
    }

    /// Uniform in `0 ..< bound` at nanosecond resolution; zero (and no draw) when the bound is not positive.
    mutating func duration(below bound: Duration) -> Duration {
        let nanoseconds = bound.wholeNanoseconds
        guard nanoseconds > 0 else { return .zero }
        // Drawn from this generator directly (the modulo bias is far below a nanosecond over a day's bound).
        return .nanoseconds(Int64(next() % UInt64(nanoseconds)))
    }
}

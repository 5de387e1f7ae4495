import IPMI

/// Draws for fault decisions, built on raw `next()` only: the stdlib's `random(in:using:)` algorithms are not promised
/// stable across toolchains, and a seed must replay the same run wherever it is rerun.
extension RandomNumberGenerator {
    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// True with probability `probability` (clamped to [0, 1]); always one draw, so the stream stays aligned.
    public mutating func nextChance(_ probability: Double) -> Bool {
        nextUnitInterval() < probability
    }

    /// Uniform in [0, `maximum`] at nanosecond resolution; always one draw.
    public mutating func nextDuration(upTo maximum: Duration) -> Duration {
        let word = next()
        let limit = maximum.simNanoseconds
        guard limit > 0 else { return .zero }
        // Multiply-shift maps the word onto [0, limit] without the bias of `%`.
        let scaled = word.multipliedFullWidth(by: UInt64(limit) &+ 1).high
        return .nanoseconds(Int64(scaled))
    }
}

extension SeededGenerator {
    /// An independent generator for one part of a run (network, console, BMC), so adding draws in one part does not
    /// shift the choices of the others.
    public mutating func split() -> SeededGenerator {
        SeededGenerator(seed: next())
    }
}

extension Duration {
    /// Whole nanoseconds (truncated); simulated instants never need finer.
    var simNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Fixed-width `seconds.microseconds`, for trace lines that must compare byte for byte.
    public var traceDescription: String {
        let micros = simNanoseconds / 1_000
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}

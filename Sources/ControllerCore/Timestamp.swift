/// A point in time as a `Duration` since an epoch the shell chooses (Unix epoch in production, zero in simulation).
/// The core never reads a clock: every time arrives as one of these.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var sinceEpoch: Duration

    public init(sinceEpoch: Duration) { self.sinceEpoch = sinceEpoch }

    public static let epoch = Timestamp(sinceEpoch: .zero)

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.sinceEpoch < rhs.sinceEpoch }
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp { Timestamp(sinceEpoch: lhs.sinceEpoch + rhs) }
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration { lhs.sinceEpoch - rhs.sinceEpoch }

    public var description: String { "T+\(sinceEpoch)" }
}

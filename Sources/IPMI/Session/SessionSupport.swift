extension RandomNumberGenerator {
    /// `count` bytes drawn from this generator (the caller's entropy source, never a global one).
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            var word = next()
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        out.removeLast(out.count - count)
        return out
    }

    /// A random non-zero session ID.
    public mutating func sessionID() -> UInt32 {
        while true {
            let value = UInt32(truncatingIfNeeded: next())
            if value != 0 { return value }
        }
    }
}

/// A small, fast, seedable generator (SplitMix64) for simulations and tests; never for production keys.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Inbound session sequence numbers: the first authenticated packet is accepted whatever its number (ipmitool
/// starts at 3 or more), then a sliding window rejects duplicates and anything too old or too far ahead.
/// Only packets whose AuthCode verified may be recorded.
public struct SequenceWindow: Sendable, Hashable {
    public static let behind: UInt32 = 32
    public static let ahead: UInt32 = 256

    public private(set) var highest: UInt32?
    /// Bit i set: `highest - i` was seen.
    private var seen: UInt64 = 0

    public init() {}

    public func accepts(_ sequence: UInt32) -> Bool {
        guard sequence != 0 else { return false }
        guard let highest else { return true }
        if sequence > highest { return sequence - highest <= Self.ahead }
        let age = highest - sequence
        return age < Self.behind && seen & (1 << UInt64(age)) == 0
    }

    public mutating func record(_ sequence: UInt32) {
        guard let current = highest else {
            highest = sequence
            seen = 1
            return
        }
        if sequence > current {
            let shift = UInt64(sequence - current)
            seen = shift >= 64 ? 1 : (seen << shift) | 1
            highest = sequence
        } else {
            seen |= 1 << UInt64(current - sequence)
        }
    }
}

/// The next value of a 32-bit session sequence counter, which skips 0 on wrap.
@inlinable
func nextSequence(after value: UInt32) -> UInt32 { value == .max ? 1 : value + 1 }

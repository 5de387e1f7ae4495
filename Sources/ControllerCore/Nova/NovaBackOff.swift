/// Exponential back-off with "equal jitter": the delay for the n-th consecutive failure is drawn from
/// [d/2, d] where d = min(cap, base · 2^(n-1)). Half is guaranteed so a flapping Nova is not hammered; the
/// random half spreads controllers that failed together.
public enum NovaBackOff {
    /// The un-jittered ceiling for the n-th consecutive failure (n ≥ 1).
    public static func ceiling(failures: Int, base: Duration, cap: Duration) -> Duration {
        var delay = base
        var n = 1
        // Doubling stops at the cap, so huge failure counts never overflow.
        while n < failures, delay < cap {
            delay = delay * 2
            n += 1
        }
        return min(delay, cap)
    }

    public static func delay(failures: Int, base: Duration, cap: Duration, using random: inout some RandomNumberGenerator) -> Duration {
        let ceiling = ceiling(failures: max(1, failures), base: base, cap: cap)
        let half = ceiling / 2
        let spread = Int64((ceiling - half) / .nanoseconds(1))
        // Drawn straight from the injected generator: the core has no randomness of its own.
        return half + .nanoseconds(spread > 0 ? Int64(random.next(upperBound: UInt64(spread) + 1)) : 0)
    }
}

import IPMI

/// How hard the client may press the BMCs.
public struct BMCSchedulingConfiguration: Sendable, Hashable {
    /// Least time between the starts of two requests to one endpoint (address and port). Ironic waits 5 s.
    public var minimumInterval: Duration
    /// Requests in flight over all BMCs at once.
    public var maximumInFlight: Int
    /// Back-off after the first credentials failure; it doubles with each further one.
    public var credentialBackOff: Duration
    /// The back-off never grows beyond this.
    public var maximumCredentialBackOff: Duration

    public init(minimumInterval: Duration = .zero, maximumInFlight: Int = 256,
                credentialBackOff: Duration = .seconds(30), maximumCredentialBackOff: Duration = .seconds(1800)) {
        self.minimumInterval = max(.zero, minimumInterval)
        self.maximumInFlight = max(1, maximumInFlight)
        self.credentialBackOff = max(.zero, credentialBackOff)
        self.maximumCredentialBackOff = max(self.credentialBackOff, maximumCredentialBackOff)
    }
}

/// Decides when the next request to an endpoint may start: one in flight per endpoint, a minimum interval between
/// starts on one endpoint, a global in-flight limit, and exponential back-off after credentials failures (BMC
/// accounts lock out after a few bad logins, so retrying at full speed would make things worse).
///
/// Pure: time is passed in as a `Duration` since any fixed origin, so tests run it in virtual time.
public struct BMCSchedulingPolicy<Key: Hashable & Sendable>: Sendable {
    public enum Decision: Sendable, Hashable {
        /// Go: the request now counts as in flight until `finish`.
        case start
        /// Not yet. `until` is when pacing allows it; nil means when a request in flight finishes.
        case wait(until: Duration?)
        /// The endpoint is backing off after a credentials failure; fail fast without traffic.
        case refuse(ConsoleError, until: Duration)
    }

    public enum Outcome: Sendable, Hashable {
        case success
        case failure(ConsoleError)
    }

    struct Entry: Sendable {
        var busy = false
        var lastStart: Duration?
        var credentialFailures = 0
        var blockedUntil: Duration?
        var credentialError: ConsoleError?
    }

    public let configuration: BMCSchedulingConfiguration
    public private(set) var inFlight = 0
    private var entries: [Key: Entry] = [:]

    public init(configuration: BMCSchedulingConfiguration) {
        self.configuration = configuration
    }

    /// True for the failures that mean the credentials are wrong, which retrying cannot fix.
    public static func isCredentialFailure(_ error: ConsoleError) -> Bool {
        switch error {
        case .wrongPassword, .unknownUser, .wrongBMCKey: true
        default: false
        }
    }

    /// The back-off after `failures` consecutive credentials failures (1 → the base, doubling, capped).
    public func backOff(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = configuration.credentialBackOff
        for _ in 1..<min(failures, 64) {
            if delay >= configuration.maximumCredentialBackOff { break }
            delay = delay * 2
        }
        return min(delay, configuration.maximumCredentialBackOff)
    }

    /// What would happen to a request for `key` at `now`, without recording anything.
    public func decide(_ key: Key, now: Duration) -> Decision {
        let entry = entries[key] ?? Entry()
        if let until = entry.blockedUntil, now < until, let error = entry.credentialError {
            return .refuse(error, until: until)
        }
        if entry.busy { return .wait(until: nil) }
        if let last = entry.lastStart, now < last + configuration.minimumInterval {
            return .wait(until: last + configuration.minimumInterval)
        }
        if inFlight >= configuration.maximumInFlight { return .wait(until: nil) }
        return .start
    }

    /// Decides and, on `.start`, records the request as in flight.
    public mutating func admit(_ key: Key, now: Duration) -> Decision {
        let decision = decide(key, now: now)
        if case .start = decision {
            entries[key, default: Entry()].busy = true
            entries[key, default: Entry()].lastStart = now
            inFlight += 1
        }
        return decision
    }

    /// The request admitted for `key` is over.
    public mutating func finish(_ key: Key, now: Duration, outcome: Outcome) {
        guard var entry = entries[key], entry.busy else { return }
        entry.busy = false
        inFlight -= 1
        switch outcome {
        case .failure(let error) where Self.isCredentialFailure(error):
            entry.credentialFailures += 1
            entry.credentialError = error
            entry.blockedUntil = now + backOff(afterFailures: entry.credentialFailures)
        case .failure:
            break
        case .success:
            entry.credentialFailures = 0
            entry.credentialError = nil
            entry.blockedUntil = nil
        }
        entries[key] = entry
    }

    /// Forgets the back-off of `key`, e.g. when the operator supplies new credentials.
    public mutating func resetBackOff(_ key: Key) {
        guard var entry = entries[key] else { return }
        entry.credentialFailures = 0
        entry.credentialError = nil
        entry.blockedUntil = nil
        entries[key] = entry
    }

    /// Consecutive credentials failures recorded for `key`.
    public func credentialFailures(_ key: Key) -> Int { entries[key]?.credentialFailures ?? 0 }
}

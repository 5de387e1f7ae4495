/// Drains the Nova outbox (issue 6) as a pure machine: the shell feeds outbox rows, timer firings, request
/// results and auth outcomes; the machine answers with timers to start, requests to send, settlements to write.
/// One request is in flight at a time, and an instance has at most one unsettled event outside that request, so
/// an older event of an instance can never follow a newer one (docs/nova-notifier.md, "Ordering").
public struct NovaNotifierMachine: Sendable {
    public struct TimerToken: Hashable, Sendable { public let value: UInt64 }
    public struct BatchID: Hashable, Sendable { public let value: UInt64 }

    public enum Event: Hashable, Sendable {
        /// Pending outbox rows, in any order, repeats allowed: ids at or below `watermark` are ignored.
        case eventsQueued([NovaPendingEvent])
        case timerFired(TimerToken)
        case requestCompleted(BatchID, NovaRequestResult)
        /// The shell has a fresh token after `.authenticate`.
        case authenticated
        /// Keystone refused or could not be reached; the shell logs why.
        case authenticationFailed(String)
        /// Send nothing more; finish when the request in flight reports. Unsettled events stay pending.
        case shutdown
    }

    /// One `POST {compute}/os-server-external-events` with `OpenStack-API-Version: compute 2.76`.
    public struct Request: Hashable, Sendable {
        public var id: BatchID
        public var body: [UInt8]
        /// In body order; per-event results are matched to these by position.
        public var events: [NovaPendingEvent]
        public var timeout: Duration
    }

    public enum Action: Hashable, Sendable {
        /// Sleep on the shell's clock, then feed `.timerFired(token)`. Never cancelled: stale tokens are ignored.
        case startTimer(TimerToken, after: Duration)
        /// Always emitted after the `.settle` of the same step: the shell must make settlements durable first.
        case send(Request)
        /// Drop the cached token, get a new one, answer `.authenticated` or `.authenticationFailed`.
        case authenticate
        /// Write to the outbox and to each node's history, durably, before acting on later actions.
        case settle([NovaSettlement])
        /// Nova refuses us for a reason only an operator can fix: log it, count it, show it in /health.
        case reportConfigurationError(String)
        /// A request succeeded after a reported configuration error.
        case clearConfigurationError
        /// Shutdown finished: nothing is in flight.
        case stopped
    }

    struct Entry: Hashable, Sendable {
        var event: NovaPendingEvent
        var encoded: [UInt8]
        /// Per-event failures (422 and unknown codes) so far.
        var attempts: Int
    }

    struct Slot: Hashable, Sendable {
        var id: Int64
        var instance: String
    }

    enum Phase: Hashable, Sendable {
        case idle
        case windowOpen(TimerToken)
        case inFlight(BatchID)
        case backingOff(TimerToken, thenAuthenticate: Bool)
        case authenticating
        case stopped
    }

    let configuration: NovaNotifierConfiguration
    var phase: Phase = .idle
    var shuttingDown = false
    /// Newest instance event waiting to be sent, one per instance.
    var ready: [String: Entry] = [:]
    var readyBytes = 0
    /// Send order (oldest first), sorted by id; a slot is live only while `ready[instance]` holds that id.
    var order: [Slot] = []
    /// Events waiting out a 422 retry delay, by instance.
    var parked: [String: (entry: Entry, token: TimerToken)] = [:]
    var parkTimers: [TimerToken: [String]] = [:]
    var inFlight: [Entry] = []
    /// Instances to send as their own batches before anything else: halves of a batch Nova refused (400, 413).
    var splitGroups: [[String]] = []
    /// After a 413, batches stay at most this many events (Nova's limit is lower than configured).
    var learnedMaxEvents: Int?
    /// Events joined the waiting set since the last send or window extension: more may be on their way.
    var arrivedSinceLastLook = false
    /// Windows the waiting events have spent so far (bounded by `maxBatchDelay`).
    var windowsWaited = 0
    /// Windows in a row that ended with no arrival: two end the wait (a sync pass's commit groups can be a window
    /// apart on a busy machine).
    var quietWindows = 0
    var failures = 0
    var reauthenticated = false
    var configurationErrorActive = false
    var nextToken: UInt64 = 0
    var nextBatch: UInt64 = 0
    public internal(set) var watermark: Int64

    /// `watermark`: the highest outbox id already settled or known, so a restarted shell can start past it (0 when
    /// every pending row should be read).
    public init(configuration: NovaNotifierConfiguration = NovaNotifierConfiguration(), watermark: Int64 = 0) {
        self.configuration = configuration
        self.watermark = watermark
    }

    /// Events known and not yet settled: waiting, parked after a 422, or in flight.
    public var unsettledCount: Int { ready.count + parked.count + inFlight.count }
    public var consecutiveFailures: Int { failures }
    public var hasConfigurationError: Bool { configurationErrorActive }
    public var isStopped: Bool { phase == .stopped }

    public mutating func handle(_ event: Event, using random: inout some RandomNumberGenerator) -> [Action] {
        guard phase != .stopped else { return [] }
        var step = Step()
        switch event {
        case .eventsQueued(let events):
            guard !shuttingDown else { return [] }
            queue(events, &step)
            pump(immediate: false, &step)
        case .timerFired(let token):
            timerFired(token, &step)
        case .requestCompleted(let id, let result):
            guard phase == .inFlight(id) else { return [] }  // duplicate or stale report
            complete(result, &step, &random)
        case .authenticated:
            guard phase == .authenticating else { return [] }
            phase = .idle
            pump(immediate: true, &step)
        case .authenticationFailed:
            guard phase == .authenticating else { return [] }
            failures += 1
            backOff(NovaBackOff.delay(failures: failures, base: configuration.backOffBase, cap: configuration.backOffCap, using: &random), thenAuthenticate: true, &step)
        case .shutdown:
            shuttingDown = true
            if case .inFlight = phase {} else { stop(&step) }
        }
        return step.actions
    }

    /// Collects one step's output so settlements always precede the sends they make safe.
    struct Step {
        var settlements: [NovaSettlement] = []
        var others: [Action] = []
        var actions: [Action] { (settlements.isEmpty ? [] : [.settle(settlements)]) + others }

        mutating func drop(_ entry: Entry, _ reason: String, _ severity: NodeHistoryEntry.Severity) {
            settlements.append(NovaSettlement(event: entry.event, outcome: .dropped(reason: reason), severity: severity))
        }
    }

    mutating func makeToken() -> TimerToken {
        defer { nextToken += 1 }
        return TimerToken(value: nextToken)
    }

    mutating func stop(_ step: inout Step) {
        phase = .stopped
        step.others.append(.stopped)
    }
}

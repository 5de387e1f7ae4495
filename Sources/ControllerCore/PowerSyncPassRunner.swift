/// Runs one planned sync pass with a concurrency limit, as a pure machine. The supervisor shell dispatches
/// `.syncNode` to the node's actor (which reads the BMC and applies `PowerSync.decide`), reports back with
/// `.nodeFinished`, and starts the next pass only after `.passComplete`, so passes never overlap (S1, S4).
public struct PowerSyncPassRunner: Sendable {
    public enum Event: Hashable, Sendable {
        case start
        /// nil when the node could not be synced at all (gone, or locked by an action that began after planning);
        /// like Ironic's `NodeLocked`, its count is left as it was.
        case nodeFinished(String, PowerSyncOutcome?)
        /// Graceful shutdown: dispatch nothing more, finish when the nodes in flight report.
        case shutdown
    }

    public enum Action: Hashable, Sendable {
        case syncNode(String)
        case passComplete(PowerSyncFailureCounts)
    }

    public private(set) var failureCounts: PowerSyncFailureCounts
    private var queue: ArraySlice<String>
    private var inFlight: Set<String> = []
    private let concurrencyLimit: Int
    private var started = false
    private var complete = false

    public init(plan: PowerSyncPassPlan, failureCounts: PowerSyncFailureCounts, concurrencyLimit: Int) {
        self.queue = plan.order[...]
        self.failureCounts = failureCounts
        // A limit below one would never finish; clamp rather than trap, the config loader reports the bad value.
        self.concurrencyLimit = max(1, concurrencyLimit)
    }

    public var isComplete: Bool { complete }

    public mutating func handle(_ event: Event) -> [Action] {
        guard !complete else { return [] }
        switch event {
        case .start:
            guard !started else { return [] }
            started = true
            return dispatch()
        case .nodeFinished(let id, let outcome):
            guard inFlight.remove(id) != nil else { return [] }  // duplicate or unknown report
            if let outcome { failureCounts.record(outcome, for: id) }
            return dispatch()
        case .shutdown:
            queue = []
            return started ? dispatch() : finish()
        }
    }

    private mutating func dispatch() -> [Action] {
        var actions: [Action] = []
        while inFlight.count < concurrencyLimit, let next = queue.popFirst() {
            inFlight.insert(next)
            actions.append(.syncNode(next))
        }
        if inFlight.isEmpty, queue.isEmpty { actions += finish() }
        return actions
    }

    private mutating func finish() -> [Action] {
        complete = true
        return [.passComplete(failureCounts)]
    }
}

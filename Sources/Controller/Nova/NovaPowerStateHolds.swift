import ControllerCore
import Logging
import Synchronization

/// The shell around `NovaPowerStateHold` (docs/nova-notifier.md, "Closing the race"), shared by the node actors (which
/// record each Nova event as they commit it), the API (which asks what Nova's own reads get) and the confirmation loop
/// (which asks Nova). Calls are synchronous under a mutex: a hold exists before the change it covers is readable.
public final class NovaPowerStateHolds: Sendable {
    private let hold: Mutex<NovaPowerStateHold>
    /// Set by the confirmer: how to ask Nova before answering Nova's own reads of a held node.
    private let lookup = Mutex<(client: any NovaClient, timeout: Duration)?>(nil)
    private let time: ControllerTime
    private let logger: Logger
    private let metrics: ControllerMetrics
    public let isEnabled: Bool

    public init(configuration: NovaPowerStateHold.Configuration, time: ControllerTime = .system,
                logger: Logger = Logger(label: "ferrum.nova"), metrics: ControllerMetrics = ControllerMetrics()) {
        hold = Mutex(NovaPowerStateHold(configuration: configuration))
        isEnabled = configuration.enabled
        self.time = time
        self.logger = logger
        self.metrics = metrics
    }

    /// Where a Nova event is committed for `nodeID`; `previous` is the power state before the change.
    func recorded(nodeID: String, previous: PowerState?, event: NovaPowerUpdate, requestedByNova: Bool) {
        guard isEnabled else { return }
        let (before, after, count) = hold.withLock { hold in
            let before = hold.entries[nodeID]
            hold.recorded(nodeID: nodeID, previous: previous, event: event, requestedByNova: requestedByNova)
            return (before, hold.entries[nodeID], hold.entries.count)
        }
        metrics.recordNovaPowerStateHolds(count)
        if let after, before == nil {
            logger.info("Nova power state hold started", metadata: [
                "node": "\(nodeID)", "instance": "\(after.instanceUUID)",
                "shown_to_nova": "\(after.shown?.rawValue ?? "None")", "pending": "\(after.pending.rawValue)"])
        } else if before != nil, after == nil {
            logger.info("Nova power state hold released", metadata: [
                "node": "\(nodeID)", "why": "\(requestedByNova ? "Nova asked for this change" : "back to what Nova shows")"])
        }
    }

    /// The `power_state` a request identified as Nova's gets for this node.
    public func powerStateForNova(nodeID: String, actual: PowerState?) -> PowerState? {
        guard isEnabled else { return actual }
        let now = time.now()
        return hold.withLock { $0.powerStateForNova(nodeID: nodeID, actual: actual, now: now) }
    }

    public var heldInstances: [(nodeID: String, instanceUUID: String)] { hold.withLock { $0.heldInstances } }

    func attach(client: any NovaClient, timeout: Duration) { lookup.withLock { $0 = (client, timeout) } }

    /// Before answering one of Nova's reads: asks Nova about each of these nodes that is held, so a hold never
    /// outlives Nova's application of the event into a read. Without this, a Nova sync right after Nova applied the
    /// event still read the held state and stopped the node (found by `ferrum scenario explore`; docs/scenarios.md,
    /// "The mitigation"). Nova's sync reads while holding the instance's lock, so the answer cannot go stale before
    /// Nova uses it. A failed lookup keeps the hold: Nova then reads the state it agreed with, the safe side.
    public func confirmBeforeNovaRead(nodeIDs: Set<String>) async {
        guard isEnabled, let (client, timeout) = lookup.withLock({ $0 }) else { return }
        let held = heldInstances.filter { nodeIDs.contains($0.nodeID) }
        guard !held.isEmpty else { return }
        await withTaskGroup(of: (String, NovaServerLookup).self) { group in
            var next = held.makeIterator()
            func lookUpNext() {
                guard let (_, instance) = next.next() else { return }
                group.addTask { (instance, await client.server(instance, timeout: timeout)) }
            }
            for _ in 0..<NovaPowerStateConfirmer.concurrentLookups { lookUpNext() }
            for await (instance, result) in group {
                record(result, for: instance)
                lookUpNext()
            }
        }
    }

    /// What one `GET /servers/{id}` says about a held instance.
    func record(_ lookup: NovaServerLookup, for instance: String) {
        switch lookup {
        case .found(let view): observed(instanceUUID: instance, view: view)
        case .notFound: observed(instanceUUID: instance, view: nil)
        case .failed(let failure):
            // The hold stays; hold_maximum bounds it if Nova cannot be asked.
            logger.warning("cannot read the instance from Nova to confirm a power state hold",
                           metadata: ["instance": "\(instance)", "failure": "\(failure)"])
        }
    }

    public var count: Int { hold.withLock { $0.entries.count } }

    /// Nova's view of an instance (nil: Nova no longer has it).
    func observed(instanceUUID: String, view: NovaInstanceView?) {
        let now = time.now()
        let (released, count) = hold.withLock { hold in
            (hold.observed(instanceUUID: instanceUUID, view: view, now: now), hold.entries.count)
        }
        guard let released else { return }
        metrics.recordNovaPowerStateHolds(count)
        logger.info("Nova power state hold released", metadata: [
            "node": "\(released)", "instance": "\(instanceUUID)",
            "why": "\(view == nil ? "Nova no longer has the instance" : "Nova shows the event applied")"])
    }

    func expire() {
        let now = time.now()
        let (expired, count) = hold.withLock { hold in (hold.expire(now: now), hold.entries.count) }
        guard !expired.isEmpty else { return }
        metrics.recordNovaPowerStateHolds(count)
        for nodeID in expired {
            logger.warning("Nova power state hold expired before Nova showed the event applied",
                           metadata: ["node": "\(nodeID)"])
        }
    }

    func forget(nodeID: String) {
        let count = hold.withLock { hold in
            hold.forget(nodeID: nodeID)
            return hold.entries.count
        }
        metrics.recordNovaPowerStateHolds(count)
    }
}

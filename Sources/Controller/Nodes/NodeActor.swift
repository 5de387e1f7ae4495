import ControllerCore
import Logging

/// One node's shell: owns its `Node`, serialises everything done to it, and performs what the pure core decides.
///
/// Reads of the BMC run outside the write lock, so a slow BMC never blocks a request; every change is computed on a
/// copy, committed to the store, and only then becomes the node, so memory never runs ahead of disk. A sync whose
/// reading was overtaken by another change (an action claimed meanwhile) is discarded rather than applied.
public actor NodeActor {
    public nonisolated let id: String
    public private(set) var node: Node
    /// Bumped by every committed change; lets a sync notice it was overtaken while reading.
    private var generation: UInt64 = 0
    private var writeLock = AsyncWriteLock()
    private var actionWaiters: [CheckedContinuation<Void, Never>] = []
    private let store: any ControllerStore
    private let driver: any PowerDriver
    private let time: ControllerTime
    private let actionConfiguration: PowerActionConfiguration
    private let logger: Logger
    private let metrics: ControllerMetrics
    private let outboxDoorbell: OutboxDoorbell?
    private let novaHolds: NovaPowerStateHolds?

    public init(node: Node, store: any ControllerStore, driver: any PowerDriver, time: ControllerTime,
                actionConfiguration: PowerActionConfiguration, logger: Logger,
                metrics: ControllerMetrics = ControllerMetrics(), outboxDoorbell: OutboxDoorbell? = nil,
                novaHolds: NovaPowerStateHolds? = nil) {
        self.id = node.id
        self.outboxDoorbell = outboxDoorbell
        self.novaHolds = novaHolds
        self.metrics = metrics
        self.node = node
        self.store = store
        self.driver = driver
        self.time = time
        self.actionConfiguration = actionConfiguration
        var logger = logger
        logger[metadataKey: "node"] = "\(node.id)"
        if let name = node.name { logger[metadataKey: "node_name"] = "\(name)" }
        self.logger = logger
    }

    // MARK: Power actions

    /// Claims the node for `action` and makes the claim durable. Throws `PowerActionRefusal` (busy: a conflict,
    /// never queued) or a store error; on success the caller must run the returned machine with `run(_:origin:)`.
    public func claim(_ action: PowerAction, origin: PowerActionOrigin = .user, timeout: Duration? = nil) async throws
        -> PowerActionMachine
    {
        try await withWriteLock {
            var next = node
            try next.beginPowerAction(action, origin: origin, at: time.now())
            try await commit(NodeWrite(node: next))
        }
        logger.info("power action started", metadata: ["action": "\(action)", "origin": "\(origin)"])
        return PowerActionMachine(action: action, timeout: timeout, configuration: actionConfiguration)
    }

    /// Drives a claimed action to its end and records the result (and its Nova event) in one transaction.
    @discardableResult
    /// `requestedByNova`: Nova's own power request (its stop/start), whose result Nova's reads must see at once.
    public func run(_ machine: PowerActionMachine, origin: PowerActionOrigin = .user,
                    requestedByNova: Bool = false) async -> PowerActionResult {
        metrics.recordPowerActionStarted(machine.action)
        var machine = machine
        var queue = machine.handle(.start)
        var result = PowerActionResult.failed("power action ended without a result")
        while !queue.isEmpty {
            let step = queue.removeFirst()
            switch step {
            case .readPowerState:
                queue += machine.handle(await readingEvent())
            case .sendChassisControl(let kind):
                do {
                    try await driver.chassisControl(kind, node.driverInfo)
                    queue += machine.handle(.commandAccepted)
                } catch {
                    queue += machine.handle(.commandFailed("\(error)"))
                }
            case .startTimer(let token, let delay):
                do {
                    try await time.sleep(for: delay)
                    queue += machine.handle(.timerFired(token))
                } catch {
                    // Cancelled: the controller is shutting down. Release the node with a reason rather than
                    // leaving it held; a crash instead is cleaned up at the next start.
                    result = .failed("aborted: the controller is shutting down")
                    queue = []
                }
            case .finish(let finished):
                result = finished
            }
        }
        await complete(machine.action, result: result, origin: origin, requestedByNova: requestedByNova)
        return result
    }

    private func readingEvent() async -> PowerActionMachine.Event {
        do {
            return .powerStateRead(try await driver.readPowerState(node.driverInfo))
        } catch {
            return .readFailed("\(error)")
        }
    }

    private func complete(_ action: PowerAction, result: PowerActionResult, origin: PowerActionOrigin,
                          requestedByNova: Bool) async {
        do {
            try await withWriteLock {
                var next = node
                let outcome = next.completePowerAction(action, result: result, at: time.now())
                var history = outcome.change.map { [$0.historyEntry] } ?? []
                if case .failed = result, let error = next.lastError {
                    history.append(NodeHistoryEntry(nodeID: id, at: time.now(), severity: .error, eventType: .power,
                                                    event: error))
                }
                try await commit(NodeWrite(node: next, history: history, novaEvents: outcome.novaEvent.map { [$0] } ?? []),
                                 requestedByNova: requestedByNova)
            }
        } catch {
            // The node stays held in memory and on disk alike; the next start releases it (C1).
            logger.error("could not record the end of a power action", metadata: ["error": "\(error)"])
        }
        metrics.recordPowerActionFinished(action, result)
        switch result {
        case .failed(let reason):
            logger.warning("power action failed", metadata: ["action": "\(action)", "error": "\(reason)"])
        case .succeeded(let state), .alreadyInState(let state):
            logger.info("power action finished", metadata: ["action": "\(action)", "power_state": "\(state)"])
        }
        let waiters = actionWaiters
        actionWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no action holds the node (at once if none does).
    public func waitUntilIdle() async {
        while node.isPowerActionInProgress {
            await withCheckedContinuation { actionWaiters.append($0) }
        }
    }

    // MARK: Sync and recovery

    /// One `do_sync_power_state` for this node. Returns the outcome for the pass's failure counts, or nil when the
    /// node changed while its BMC was being read (like Ironic's NodeLocked: the count is left as it was).
    public func sync(failureCount: Int, configuration: PowerSyncConfiguration) async -> PowerSyncOutcome? {
        if PowerSync.shouldRead(node) != nil {
            return PowerSync.decide(node: node, reading: .failed(""), failureCount: failureCount, configuration: configuration)
        }
        let seen = generation
        let reading = await powerReading()
        var forced: (PowerSyncOutcome, PowerActionMachine)?
        do {
            let outcome: PowerSyncOutcome? = try await withWriteLock {
                guard seen == generation else { return nil }
                let outcome = PowerSync.decide(node: node, reading: reading, failureCount: failureCount,
                                               configuration: configuration)
                let now = time.now()
                var next = node
                var history: [NodeHistoryEntry] = []
                var events: [NovaPowerUpdate] = []
                switch outcome.decision {
                case .driveHardware(let action):
                    try next.beginPowerAction(action, origin: .sync, at: now)
                    let found = if case .state(let state) = reading { state.rawValue } else { "unknown" }
                    history.append(NodeHistoryEntry(
                        nodeID: id, at: now, severity: .error, eventType: .power,
                        event: "Power state sync found the hardware '\(found)' but '\(node.powerState?.rawValue ?? "None")' "
                            + "is recorded; forcing it back (force_power_state_during_sync)"))
                    forced = (outcome, PowerActionMachine(action: action, configuration: actionConfiguration))
                case .countFailure(let reason):
                    logger.warning("power state sync could not read the BMC",
                                   metadata: ["error": "\(reason)", "failures": "\(outcome.failureCount)"])
                default:
                    let applied = next.applySync(outcome.decision, at: now)
                    if let change = applied.change { history.append(change.historyEntry) }
                    if let event = applied.novaEvent { events.append(event) }
                    if case .enterMaintenance(_, let message) = outcome.decision {
                        logger.error("node moved to maintenance: power failure", metadata: ["error": "\(message)"])
                        history.append(NodeHistoryEntry(nodeID: id, at: now, severity: .error, eventType: .maintenance,
                                                        event: message))
                    }
                }
                if next != node { try await commit(NodeWrite(node: next, history: history, novaEvents: events)) }
                return outcome
            }
            if let (outcome, machine) = forced {
                await run(machine, origin: .sync)
                return outcome
            }
            return outcome
        } catch {
            logger.error("power state sync could not record its result", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// One `_power_failure_recovery` check: a `power failure` node whose BMC answers leaves maintenance.
    public func recover() async -> PowerRecovery.Decision {
        if let reason = PowerRecovery.shouldRead(node) { return .skip(reason) }
        let seen = generation
        let reading = await powerReading()
        do {
            return try await withWriteLock {
                guard seen == generation else { return .skip(.actionInProgress) }
                let decision = PowerRecovery.decide(node: node, reading: reading)
                guard case .recover(let state) = decision else { return decision }
                let now = time.now()
                var next = node
                let applied = next.applyRecovery(state, at: now)
                var history = [NodeHistoryEntry(nodeID: id, at: now, severity: .info, eventType: .maintenance,
                                                event: "Power failure recovered: the BMC answers again, leaving maintenance")]
                if let change = applied.change { history.append(change.historyEntry) }
                try await commit(NodeWrite(node: next, history: history, novaEvents: applied.novaEvent.map { [$0] } ?? []))
                logger.info("node recovered from power failure", metadata: ["power_state": "\(state)"])
                return decision
            }
        } catch {
            logger.error("power failure recovery could not record its result", metadata: ["error": "\(error)"])
            return .stayInMaintenance(reason: "\(error)")
        }
    }

    private func powerReading() async -> PowerReading {
        do {
            return .state(try await driver.readPowerState(node.driverInfo))
        } catch {
            return .failed("\(error)")
        }
    }

    // MARK: Other changes

    /// Applies an arbitrary change (API updates, maintenance) through the same commit path.
    @discardableResult
    public func update(history: [NodeHistoryEntry] = [],
                       _ change: @Sendable (inout Node) throws -> Void) async throws -> Node {
        try await withWriteLock {
            var next = node
            try change(&next)
            next.updatedAt = time.now()
            try await commit(NodeWrite(node: next, history: history))
            return next
        }
    }

    // MARK: Writing

    private func commit(_ write: NodeWrite, requestedByNova: Bool = false) async throws {
        try await store.commit([write])
        // Before the new state is readable: a read by Nova must already find the hold.
        for event in write.novaEvents {
            novaHolds?.recorded(nodeID: id, previous: node.powerState, event: event, requestedByNova: requestedByNova)
        }
        metrics.recordNovaEventsQueued(write.novaEvents.count)
        // Only after the commit: the notifier must find the rows when it wakes.
        if !write.novaEvents.isEmpty { outboxDoorbell?.ring() }
        node = write.node
        generation &+= 1
    }

    private func withWriteLock<T>(_ body: () async throws -> T) async throws -> T {
        if !writeLock.tryAcquire() {
            await withCheckedContinuation { writeLock.enqueue($0) }
        }
        defer { writeLock.release()?.resume() }
        return try await body()
    }
}

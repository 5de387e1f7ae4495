import ControllerCore
import Logging
import ServiceLifecycle

/// The supervisor: owns every node's actor, runs the periodic power sync and the power failure recovery, and
/// runs the power actions users request. A `Service`, so `ferrum serve` stops it gracefully.
///
/// Passes never overlap: a pass asked for while one runs joins it. Power actions run in the service's own task
/// group (structured, so shutdown cancels them and they release their nodes with a reason).
public actor PowerController: Service {
    public nonisolated let configuration: PowerControllerConfiguration
    let store: any ControllerStore
    private let driver: any PowerDriver
    let time: ControllerTime
    let logger: Logger
    private var actors: [String: NodeActor] = [:]
    private var namesToIDs: [String: String] = [:]
    /// Creation order, so plans (and so passes) are deterministic.
    private var order: [String] = []
    private var failureCounts = PowerSyncFailureCounts()
    private var started = false
    private var stopping = false
    private var passRunning = false
    private var passWaiters: [CheckedContinuation<SyncPassReport, Never>] = []
    private let actions: AsyncStream<RequestedAction>
    private let actionSink: AsyncStream<RequestedAction>.Continuation
    public private(set) var lastPass: SyncPassReport?
    /// Shared with the node actors; pass the BMC client's to have one registry for `/metrics`.
    public nonisolated let metrics: ControllerMetrics
    /// Rung after every commit that queues Nova events; give it to the `NovaNotifier` so it wakes at once.
    public nonisolated let outboxDoorbell = OutboxDoorbell()
    /// What Nova's own reads of a node get while Nova has not applied its event (`[nova]
    /// hold_power_state_until_applied`; off unless the configuration enables it).
    public nonisolated let novaHolds: NovaPowerStateHolds

    public init(store: any ControllerStore, driver: any PowerDriver, configuration: PowerControllerConfiguration = .init(),
                time: ControllerTime = .system, logger: Logger = Logger(label: "ferrum.controller"),
                metrics: ControllerMetrics = ControllerMetrics()) {
        self.store = store
        self.metrics = metrics
        self.driver = driver
        self.configuration = configuration
        self.time = time
        self.logger = logger
        novaHolds = NovaPowerStateHolds(configuration: configuration.novaPowerStateHold, time: time, logger: logger,
                                        metrics: metrics)
        (actions, actionSink) = AsyncStream.makeStream(of: RequestedAction.self)
    }

    // MARK: Nodes

    /// Loads every node and releases those an earlier process left in the middle of an action (C1).
    public func start() async throws {
        guard !started else { return }
        let nodes = try await store.loadNodes()
        let now = time.now()
        var released: [NodeWrite] = []
        for var node in nodes {
            if node.abortPendingPowerAction(at: now) {
                released.append(NodeWrite(node: node, history: [NodeHistoryEntry(
                    nodeID: node.id, at: now, severity: .error, eventType: .conductor, event: Node.abortedByRestartMessage)]))
            }
        }
        if !released.isEmpty {
            try await store.commit(released)
            logger.warning("released nodes whose power action was cut short by a restart",
                           metadata: ["count": "\(released.count)"])
        }
        let releasedByID = Dictionary(uniqueKeysWithValues: released.map { ($0.node.id, $0.node) })
        for node in nodes { add(releasedByID[node.id] ?? node) }
        started = true
        metrics.addCollector { [weak self, metrics] in
            guard let self else { return }
            metrics.recordNodes(await self.nodes())
        }
        logger.info("controller started", metadata: ["nodes": "\(nodes.count)"])
    }

    /// Enrols a new node (durably) and gives it an actor.
    @discardableResult
    public func enroll(_ node: Node) async throws -> NodeActor {
        guard started else { throw PowerControllerError.notStarted }
        try await store.create(node, history: [NodeHistoryEntry(nodeID: node.id, at: time.now(), severity: .info,
                                                                eventType: .conductor, event: "Node enrolled")])
        return add(node)
    }

    @discardableResult
    private func add(_ node: Node) -> NodeActor {
        let actor = NodeActor(node: node, store: store, driver: driver, time: time,
                              actionConfiguration: configuration.powerAction, logger: logger, metrics: metrics,
                              outboxDoorbell: outboxDoorbell, novaHolds: novaHolds.isEnabled ? novaHolds : nil)
        actors[node.id] = actor
        if let name = node.name { namesToIDs[name] = node.id }
        order.append(node.id)
        return actor
    }

    func renamed(_ id: String, from old: String?, to new: String?) {
        guard old != new else { return }
        if let old, namesToIDs[old] == id { namesToIDs[old] = nil }
        if let new { namesToIDs[new] = id }
    }

    func forget(_ node: Node) {
        actors[node.id] = nil
        if let name = node.name, namesToIDs[name] == node.id { namesToIDs[name] = nil }
        order.removeAll { $0 == node.id }
    }

    /// The node's actor, by uuid or name.
    public func actor(for idOrName: String) -> NodeActor? {
        actors[idOrName] ?? namesToIDs[idOrName].flatMap { actors[$0] }
    }

    /// Every node as it is now, in creation order.
    public func nodes() async -> [Node] {
        var nodes: [Node] = []
        nodes.reserveCapacity(order.count)
        for id in order {
            if let actor = actors[id] { nodes.append(await actor.node) }
        }
        return nodes
    }

    public var nodeCount: Int { order.count }

    // MARK: Power actions

    /// Claims the node (refusing with `PowerActionRefusal.conflict` when it is busy) and starts the action; returns
    /// once the claim is durable, as Ironic's API answers 202. The action then runs in `run()`. `requestedByNova`:
    /// the request came from Nova itself, so its result is never held from Nova's reads.
    public func requestPowerAction(_ action: PowerAction, on idOrName: String, timeout: Duration? = nil,
                                   requestedByNova: Bool = false) async throws {
        guard !stopping else { throw PowerControllerError.shuttingDown }
        guard let actor = actor(for: idOrName) else { throw PowerControllerError.nodeNotFound(idOrName) }
        let machine = try await actor.claim(action, origin: .user, timeout: timeout)
        actionSink.yield(RequestedAction(actor: actor, machine: machine, requestedByNova: requestedByNova))
    }

    struct RequestedAction: Sendable {
        var actor: NodeActor
        var machine: PowerActionMachine
        var requestedByNova: Bool
    }

    // MARK: Sync

    /// Runs one full sync pass now, or joins the one already running.
    @discardableResult
    public func syncPass() async -> SyncPassReport {
        if passRunning { return await withCheckedContinuation { passWaiters.append($0) } }
        passRunning = true
        let startedAt = time.now()
        var (report, took) = await measure(time.clock) { await self.runPass(startedAt: startedAt) }
        report.duration = took
        lastPass = report
        metrics.recordSyncPass(report)
        passRunning = false
        let waiters = passWaiters
        passWaiters = []
        for waiter in waiters { waiter.resume(returning: report) }
        logger.info("\(report)")
        return report
    }

    private func runPass(startedAt: Timestamp) async -> SyncPassReport {
        failureCounts.retain(only: Set(order))
        let nodes = await self.nodes()
        let plan = PowerSyncPassPlan.sync(nodes: nodes, failureCounts: failureCounts.counts)
        var report = SyncPassReport(startedAt: startedAt)
        report.skipped = plan.skipped.count
        var runner = PowerSyncPassRunner(plan: plan, failureCounts: failureCounts, concurrencyLimit: configuration.syncWorkers)
        let actors = self.actors
        let counts = failureCounts
        let syncConfiguration = configuration.powerSync
        await withTaskGroup(of: (String, PowerSyncOutcome?).self) { group in
            var pending = runner.handle(.start)
            while true {
                while !pending.isEmpty {
                    switch pending.removeFirst() {
                    case .syncNode(let id):
                        guard let actor = actors[id] else {
                            pending += runner.handle(.nodeFinished(id, nil))
                            continue
                        }
                        group.addTask { (id, await actor.sync(failureCount: counts[id], configuration: syncConfiguration)) }
                    case .passComplete(let finalCounts):
                        failureCounts = finalCounts
                    }
                }
                guard let (id, outcome) = await group.next() else { break }
                report.count(outcome)
                pending = runner.handle(.nodeFinished(id, outcome))
            }
        }
        return report
    }

    /// One recovery pass over the nodes in maintenance for `power failure`.
    @discardableResult
    public func recoveryPass() async -> (recovered: Int, stillFailing: Int) {
        let plan = PowerSyncPassPlan.recovery(nodes: await nodes())
        let actors = plan.order.compactMap { self.actors[$0] }
        var recovered = 0
        var stillFailing = 0
        await withTaskGroup(of: PowerRecovery.Decision.self) { group in
            var next = actors.makeIterator()
            for _ in 0..<configuration.syncWorkers {
                guard let actor = next.next() else { break }
                group.addTask { await actor.recover() }
            }
            for await decision in group {
                switch decision {
                case .recover: recovered += 1
                case .stayInMaintenance: stillFailing += 1
                case .skip: break
                }
                if let actor = next.next() { group.addTask { await actor.recover() } }
            }
        }
        if recovered + stillFailing > 0 {
            logger.info("power failure recovery", metadata: ["recovered": "\(recovered)", "still_failing": "\(stillFailing)"])
        }
        return (recovered, stillFailing)
    }

    // MARK: Service

    /// Runs requested actions, the periodic sync and the recovery until cancelled or shut down gracefully.
    public func run() async throws {
        if !started { try await start() }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.runActions() }
                group.addTask { await self.periodically(every: self.configuration.powerSync.syncPowerStateInterval) {
                    await self.syncPass()
                } }
                group.addTask { await self.periodically(every: self.configuration.powerSync.powerFailureRecoveryInterval) {
                    await self.recoveryPass()
                } }
            }
        }
        beginStopping()
    }

    private func beginStopping() {
        stopping = true
        actionSink.finish()
    }

    private func runActions() async {
        await withDiscardingTaskGroup { group in
            for await requested in actions {
                group.addTask {
                    await requested.actor.run(requested.machine, origin: .user, requestedByNova: requested.requestedByNova)
                }
            }
        }
    }

    /// Runs `body` one interval after start, then at a fixed rate from the start of each run; an overrunning run is
    /// followed at once, never overlapped (futurist's schedule, as Ironic's periodic tasks, which also wait one
    /// interval before the first run). An interval of zero disables the task.
    private func periodically(every interval: Duration, _ body: @Sendable () async -> Void) async {
        guard interval > .zero else { return }
        var wait = interval
        while !Task.isCancelled {
            do { try await time.sleep(for: wait) } catch { return }
            let (_, took) = await measure(time.clock) { await body() }
            wait = max(.zero, interval - took)
        }
    }
}

/// `body`'s result and the time it took on `clock` (generic so the existential clock's instants can be subtracted).
func measure<C: Clock, T>(_ clock: C, isolation: isolated (any Actor)? = #isolation, _ body: () async -> T) async -> (T, Duration)
    where C.Duration == Duration
{
    let start = clock.now
    let value = await body()
    return (value, start.duration(to: clock.now))
}

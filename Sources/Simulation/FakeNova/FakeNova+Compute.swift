/// The entry point of the nova-compute machine, its timers and node cache, the per-instance lock, and DB writes
/// with the history the lagging replica reads from.
extension FakeNova {
    /// One input to nova-compute at virtual time `now`; returns what the driver must do (timers, Ironic calls, logs).
    /// Also hands out actions the API produced since the last call (event casts in queued mode).
    public mutating func handleCompute(_ input: NovaCompute.Input, now: Duration) -> [NovaCompute.Action] {
        switch input {
        case .started: armPeriodicTasks(firstAfter: .zero)
        case .configure(let configuration):
            compute.configuration = configuration
            armPeriodicTasks(firstAfter: nil)
        case .timerFired(let token): timerFired(token, now: now)
        case .ironicNodes(let id, let result):
            guard case .cacheList = compute.requests.removeValue(forKey: id) else { break }
            cacheListed(result, now: now)
        case .ironicNode(let id, let result):
            switch compute.requests.removeValue(forKey: id) {
            case .syncDriverState(let worker): syncDriverStateRead(worker, result, now: now)
            case .syncFreshRecheck(let worker): syncFreshRecheckRead(worker, result, now: now)
            case .jobRead(let job): powerJobNodeRead(job, result, now: now)
            default: break
            }
        case .ironicPowerRequested(let id, let result):
            guard case .jobPower(let job) = compute.requests.removeValue(forKey: id) else { break }
            powerJobRequested(job, result, now: now)
        case .runSyncNow: runSync(now: now)
        case .refreshCacheNow: refreshCache()
        }
        return takeComputeActions()
    }

    /// Actions waiting to be carried out, e.g. the cast timers `handleExternalEvents` produced in queued mode.
    public mutating func takeComputeActions() -> [NovaCompute.Action] {
        defer { compute.outbox = [] }
        return compute.outbox
    }

    /// `handleExternalEvents` plus the compute actions it caused, for drivers that run the queued mode.
    /// `now` is when the API answered (kept for drivers; the API itself writes no rows).
    public mutating func handleExternalEvents(body: [UInt8], microversion: String?, now: Duration)
        -> (status: Int, body: [UInt8], actions: [NovaCompute.Action])
    {
        let (status, answer) = handleExternalEvents(body: body, microversion: microversion)
        return (status, answer, takeComputeActions())
    }

    private mutating func armPeriodicTasks(firstAfter: Duration?) {
        compute.syncGeneration += 1
        compute.cacheGeneration += 1
        let configuration = compute.configuration
        if let interval = configuration.cacheRefreshInterval, interval > .zero {
            emit(.startTimer(.cacheRefresh(generation: compute.cacheGeneration), after: firstAfter ?? interval))
        }
        if configuration.syncEnabled, let interval = syncSpacing {
            emit(.startTimer(.periodicSync(generation: compute.syncGeneration), after: firstAfter ?? interval))
        }
    }

    /// oslo.service turns a spacing of 0 into its 60 s default.
    private var syncSpacing: Duration? {
        guard let interval = compute.configuration.syncInterval, interval >= .zero else { return nil }
        return interval == .zero ? .seconds(60) : interval
    }

    private mutating func timerFired(_ token: NovaCompute.TimerToken, now: Duration) {
        switch token {
        case .periodicSync(let generation):
            guard generation == compute.syncGeneration, compute.configuration.syncEnabled, let spacing = syncSpacing else { return }
            runSync(now: now)
            emit(.startTimer(token, after: spacing))
        case .cacheRefresh(let generation):
            guard generation == compute.cacheGeneration, let interval = compute.configuration.cacheRefreshInterval,
                  interval > .zero else { return }
            refreshCache()
            emit(.startTimer(token, after: interval))
        case .castDelivered(let host, let cast): castDelivered(host: host, cast: cast, now: now)
        case .syncDatabaseRead(let worker): syncDatabaseRead(worker, now: now)
        case .powerPoll(let job): powerJobPoll(job)
        case .mainCastDelivered(let job): powerJobDelivered(job)
        }
    }

    // MARK: node cache (`_refresh_cache` in `update_available_resource`)

    private mutating func refreshCache() {
        let id = newRequest(.cacheList)
        emit(.listIronicNodes(id))
    }

    private mutating func cacheListed(_ result: Result<[NovaCompute.IronicNodeView], NovaCompute.IronicCallError>,
                                      now: Duration) {
        switch result {
        case .success(let nodes):
            var cache: [String: NovaCompute.IronicNodeView] = [:]
            for node in nodes { if let instance = node.instanceUUID { cache[instance] = node } }
            compute.nodeCache = cache
            log(.debug, nil, "Node cache refreshed: \(cache.count) nodes with instances", now: now)
        case .failure(let error):
            // update_available_resource fails; the old cache stays.
            log(.warning, nil, "Error updating resources for node: \(error.message)", now: now)
        }
    }

    // MARK: plumbing

    mutating func emit(_ action: NovaCompute.Action) { compute.outbox.append(action) }

    mutating func newRequest(_ call: NovaCompute.PendingCall) -> NovaCompute.RequestID {
        let id = NovaCompute.RequestID(compute.makeID())
        compute.requests[id] = call
        return id
    }

    mutating func log(_ level: NovaComputeLog.Level, _ instance: String?, _ message: String, now: Duration) {
        let entry = NovaComputeLog(at: now, level: level, instance: instance, message: message)
        if compute.log.count >= NovaCompute.logCapacity { compute.log.removeFirst(compute.log.count / 2) }
        compute.log.append(entry)
        emit(.log(entry))
    }

    /// Writes a row to the primary, remembering the old value while the replica may still serve it.
    mutating func store(_ row: FakeNovaInstance, now: Duration) {
        if let old = instances[row.uuid], compute.configuration.replicaLag > .zero {
            var history = compute.rowHistory[row.uuid, default: []]
            history.removeAll { $0.at <= now - compute.configuration.replicaLag }
            history.append((now, old))
            compute.rowHistory[row.uuid] = history
        }
        instances[row.uuid] = row
    }

    /// The row as the replica sees it: as it was `replicaLag` ago.
    func replicaRow(_ uuid: String, now: Duration) -> FakeNovaInstance? {
        let cutoff = now - compute.configuration.replicaLag
        if let older = compute.rowHistory[uuid]?.first(where: { $0.at > cutoff }) { return older.before }
        return instances[uuid]
    }

    // MARK: lock `nova-<uuid>`

    /// Takes the lock if free; otherwise queues `holder`, which is resumed when it is handed the lock.
    mutating func acquireLock(_ uuid: String, for holder: NovaCompute.Holder) -> Bool {
        var lock = compute.locks[uuid, default: .init()]
        defer { compute.locks[uuid] = lock }
        guard lock.holder != nil else {
            lock.holder = holder
            return true
        }
        lock.waiters.append(holder)
        return false
    }

    /// Frees the lock and hands it to one waiter, chosen by the arbitration (no FIFO between kinds).
    mutating func releaseLock(_ uuid: String, now: Duration) {
        guard var lock = compute.locks[uuid] else { return }
        lock.holder = nil
        guard !lock.waiters.isEmpty else {
            compute.locks[uuid] = nil
            return
        }
        let index: Int
        switch compute.configuration.lockArbitration {
        case .seeded: index = Int(compute.random.next().multipliedFullWidth(by: UInt64(lock.waiters.count)).high)
        case .favour(let kind): index = lock.waiters.firstIndex { $0.kind == kind } ?? 0
        }
        let next = lock.waiters.remove(at: index)
        lock.holder = next
        compute.locks[uuid] = lock
        if lock.waiters.count > 0 {
            log(.debug, uuid, "Lock \"nova-\(uuid)\" acquired by \(next.kind.rawValue) ahead of \(lock.waiters.count) waiter(s)",
                now: now)
        }
        switch next {
        case .event(let host): eventLockAcquired(host: host, now: now)
        case .sync(let worker): syncLocked(worker, now: now)
        case .stop(let job), .start(let job): powerJobLocked(job)
        }
    }
}

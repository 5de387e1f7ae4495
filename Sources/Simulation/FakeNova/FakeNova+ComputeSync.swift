/// `_sync_power_states` for Ironic instances (nova.md §3.3–§3.4): one worker per instance on a bounded pool, each
/// under the instance lock; driver state from the node cache (fresh when the node is not cached), the DB refresh
/// from the possibly lagging replica, the unconditional power_state write, then the decision matrix.
extension FakeNova {
    mutating func runSync(now: Duration) {
        let busy = Set(compute.syncWorkers.values.map(\.uuid))
        let listed = instances.keys.sorted().compactMap { replicaRow($0, now: now) }.filter { $0.host != nil }
        log(.debug, nil, "Synchronizing instance power states: \(listed.count) instances", now: now)
        if let cache = compute.nodeCache, cache.count != listed.count {
            log(.warning, nil, "While synchronizing instance power states, found \(listed.count) instances in the database "
                + "and \(cache.count) instances on the hypervisor.", now: now)
        }
        for row in listed where !busy.contains(row.uuid) {
            let id = compute.makeID()
            compute.syncWorkers[id] = .init(uuid: row.uuid, listedTaskState: row.taskState)
            compute.syncWaiting.append(id)
        }
        startSyncWorkers(now: now)
    }

    private mutating func startSyncWorkers(now: Duration) {
        while compute.syncRunning.count < max(1, compute.configuration.syncPoolSize), !compute.syncWaiting.isEmpty {
            let id = compute.syncWaiting.removeFirst()
            guard let worker = compute.syncWorkers[id] else { continue }
            compute.syncRunning.insert(id)
            if acquireLock(worker.uuid, for: .sync(worker: id)) { syncLocked(id, now: now) }
        }
    }

    /// The worker holds `nova-<uuid>`: skip on a listed task, else read the driver state.
    mutating func syncLocked(_ id: Int, now: Duration) {
        guard let worker = compute.syncWorkers[id] else { return }
        if let task = worker.listedTaskState {
            log(.info, worker.uuid, "During sync_power_state the instance has a pending task (\(task)). Skip.", now: now)
            return finishSync(id, now: now)
        }
        if let node = compute.nodeCache?[worker.uuid] {
            driverStateKnown(id, node.novaPowerState)
        } else {
            // get_info falls back to a fresh fetch when the node is not in the cache.
            emit(.getIronicNode(newRequest(.syncDriverState(worker: id)), instanceUUID: worker.uuid))
        }
    }

    private mutating func driverStateKnown(_ id: Int, _ state: Int) {
        compute.syncWorkers[id]?.driverState = state
        emit(.startTimer(.syncDatabaseRead(worker: id), after: compute.configuration.syncDatabaseTime))
    }

    mutating func syncDriverStateRead(_ id: Int, _ result: Result<NovaCompute.IronicNodeView?, NovaCompute.IronicCallError>,
                                      now: Duration) {
        guard let worker = compute.syncWorkers[id] else { return }
        switch result {
        case .success(let node): driverStateKnown(id, node?.novaPowerState ?? FakeNovaInstance.noState)
        case .failure(let error):
            log(.error, worker.uuid, "Periodic sync_power_state task had an error while processing an instance: "
                + error.message, now: now)
            finishSync(id, now: now)
        }
    }

    /// `db_instance.refresh(use_slave=True)`, the power_state write and the matrix.
    mutating func syncDatabaseRead(_ id: Int, now: Duration) {
        guard let worker = compute.syncWorkers[id] else { return }
        let uuid = worker.uuid
        guard let row = replicaRow(uuid, now: now), row.host != nil, var primary = instances[uuid] else {
            log(.info, uuid, "During the sync_power process the instance has moved from host. Skip.", now: now)
            return finishSync(id, now: now)
        }
        if let task = row.taskState {
            log(.info, uuid, "During sync_power_state the instance has a pending task (\(task)). Skip.", now: now)
            return finishSync(id, now: now)
        }
        let driver = worker.driverState
        if driver != row.powerState {
            log(.info, uuid, "DB power_state (\(row.powerState)) does not match the vm_power_state from the hypervisor "
                + "(\(driver)). Updating power_state in the DB to match the hypervisor.", now: now)
            primary.powerState = driver  // no task_state CAS: written whatever the primary says
            store(primary, now: now)
        }
        let context = "Current vm_state: \(row.vmState), current task_state: None, original DB power_state: "
            + "\(row.powerState), current VM power_state: \(driver)"
        switch (row.vmState, driver) {
        case ("active", FakeNovaInstance.shutdown):
            // The only cell that re-checks fresh before acting.
            return emit(.getIronicNode(newRequest(.syncFreshRecheck(worker: id)), instanceUUID: uuid))
        case ("active", FakeNovaInstance.noState):
            log(.warning, uuid, "Instance is unexpectedly not found. Ignore.", now: now)
        case ("stopped", FakeNovaInstance.running):
            log(.warning, uuid, "Instance is not stopped. Calling the stop API. " + context, now: now)
            stopFromSync(uuid, force: true, vmState: row.vmState, now: now)
        case ("paused", FakeNovaInstance.shutdown):
            log(.warning, uuid, "Paused instance shutdown by itself. Calling the stop API. " + context, now: now)
            stopFromSync(uuid, force: true, vmState: row.vmState, now: now)
        case ("soft-delete", FakeNovaInstance.running), ("deleted", FakeNovaInstance.running):
            log(.warning, uuid, "Instance is not (soft-)deleted.", now: now)
        default: break
        }
        finishSync(id, now: now)
    }

    mutating func syncFreshRecheckRead(_ id: Int, _ result: Result<NovaCompute.IronicNodeView?, NovaCompute.IronicCallError>,
                                       now: Duration) {
        guard let worker = compute.syncWorkers[id] else { return }
        switch result {
        case .success(let node):
            let fresh = node?.novaPowerState ?? FakeNovaInstance.noState
            if fresh == FakeNovaInstance.shutdown || fresh == FakeNovaInstance.crashed {
                log(.warning, worker.uuid, "Instance shutdown by itself. Calling the stop API. Current vm_state: active, "
                    + "current task_state: None, original DB power_state: \(worker.driverState), current VM power_state: "
                    + "\(fresh)", now: now)
                stopFromSync(worker.uuid, force: false, vmState: "active", now: now)
            }
        case .failure(let error):
            log(.error, worker.uuid, "Periodic sync_power_state task had an error while processing an instance: "
                + error.message, now: now)
        }
        finishSync(id, now: now)
    }

    /// `compute_api.stop` (vm_state active or error) or `force_stop` (any): CAS task_state None → powering-off,
    /// action `stop`, and a `stop_instance` cast to the host's main queue.
    private mutating func stopFromSync(_ uuid: String, force: Bool, vmState: String, now: Duration) {
        guard let primary = instances[uuid] else { return }
        guard force || vmState == "active" || vmState == "error" else {
            return log(.error, uuid, "error during stop() in sync_power_state. Cannot 'stop' instance while it is in "
                + "vm_state \(vmState)", now: now)
        }
        guard primary.taskState == nil else {
            return log(.error, uuid, "error during stop() in sync_power_state. Conflict updating instance \(uuid). "
                + "Expected: {'task_state': [None]}. Actual: {'task_state': '\(primary.taskState ?? "")'}", now: now)
        }
        acceptPowerTask(.stop, uuid, origin: .sync, requestID: Self.requestID(compute.makeID(), kind: 0x9),
                        castAfter: .zero, now: now)
    }

    private mutating func finishSync(_ id: Int, now: Duration) {
        guard let worker = compute.syncWorkers.removeValue(forKey: id) else { return }
        compute.syncRunning.remove(id)
        if compute.locks[worker.uuid]?.holder == .sync(worker: id) { releaseLock(worker.uuid, now: now) }
        startSyncWorkers(now: now)
    }
}

/// What `stop_instance` and `start_instance` share (nova.md §3.4): the cast to the host's main queue, the lock
/// `nova-<uuid>`, a fresh read of the node, Ironic power requests polled every `ironicPollInterval` until
/// `target_power_state` is null, the final save with a CAS on task_state, and `reverts_task_state` on any error.
/// What differs per verb is in FakeNova+StopInstance.swift and FakeNova+StartInstance.swift.
extension FakeNova {
    /// `compute_api.stop`/`force_stop`/`start` after their state checks: task_state, the instance action, the cast.
    /// The caller has checked that task_state is None, so the CAS on None holds.
    mutating func acceptPowerTask(_ verb: NovaCompute.PowerVerb, _ uuid: String, origin: FakeNovaInstanceAction.Origin,
                                  requestID: String, castAfter delay: Duration, now: Duration) {
        guard var row = instances[uuid] else { return }
        row.taskState = verb.taskState
        store(row, now: now)
        recordAction(uuid, action: verb.rawValue, origin: origin, requestID: requestID)
        castPowerJob(verb, uuid, after: delay)
    }

    /// The job reaches the host's main queue after `delay` (at once when zero), then waits for the lock.
    mutating func castPowerJob(_ verb: NovaCompute.PowerVerb, _ uuid: String, after delay: Duration) {
        let id = compute.makeID()
        compute.powerJobs[id] = .init(uuid: uuid, verb: verb, phase: .inTransit)
        if delay > .zero {
            emit(.startTimer(.mainCastDelivered(job: id), after: delay))
        } else {
            powerJobDelivered(id)
        }
    }

    mutating func powerJobDelivered(_ id: Int) {
        guard let job = compute.powerJobs[id], job.phase == .inTransit else { return }
        compute.powerJobs[id]?.phase = .waitingForLock
        if acquireLock(job.uuid, for: job.holder(id)) { powerJobLocked(id) }
    }

    /// The job holds `nova-<uuid>`: `_get_power_state` (stop) or `_validate_instance_and_node` (start) reads fresh.
    mutating func powerJobLocked(_ id: Int) {
        guard let job = compute.powerJobs[id] else { return }
        compute.powerJobs[id]?.phase = .freshRead
        emit(.getIronicNode(newRequest(.jobRead(job: id)), instanceUUID: job.uuid))
    }

    mutating func powerJobNodeRead(_ id: Int, _ result: Result<NovaCompute.IronicNodeView?, NovaCompute.IronicCallError>,
                                   now: Duration) {
        guard let job = compute.powerJobs[id] else { return }
        let node: NovaCompute.IronicNodeView
        switch result {
        case .failure(let error): return failPowerJob(id, error.message, now: now)
        case .success(nil): return failPowerJob(id, "Instance \(job.uuid) could not be found.", now: now)
        case .success(let found?): node = found
        }
        compute.powerJobs[id]?.node = node.uuid
        switch job.phase {
        case .inTransit, .waitingForLock: return
        case .freshRead: break
        case .softOff, .hardOff, .powerOn:
            if node.targetPowerState != nil { return pollAgain(id, now: now) }
        }
        switch job.verb {
        case .stop: stopNodeRead(id, node, phase: job.phase, now: now)
        case .start: startNodeRead(id, node, phase: job.phase, now: now)
        }
    }

    /// `PUT /v1/nodes/<n>/states/power`; its answer arrives as `.ironicPowerRequested`.
    mutating func requestPower(_ id: Int, target: String, timeout: Int?, phase: NovaCompute.PowerJob.Phase) {
        guard let node = compute.powerJobs[id]?.node else { return }
        compute.powerJobs[id]?.phase = phase
        compute.powerJobs[id]?.polls = 0
        emit(.setIronicPowerState(newRequest(.jobPower(job: id)), nodeUUID: node, target: target, timeout: timeout))
    }

    mutating func powerJobRequested(_ id: Int, _ result: Result<Void, NovaCompute.IronicCallError>, now: Duration) {
        guard let job = compute.powerJobs[id] else { return }
        switch (result, job.verb, job.phase) {
        case (.success, _, _): powerJobPoll(id)  // the looping call checks once at once, then every interval
        case (.failure(let error), .stop, .softOff): softPowerOffFailed(id, error.message, now: now)
        case (.failure(let error), _, _): failPowerJob(id, error.message, now: now)
        }
    }

    /// `_wait_for_power_state`: a fresh GET until `target_power_state` is null.
    mutating func powerJobPoll(_ id: Int) {
        guard let job = compute.powerJobs[id] else { return }
        emit(.getIronicNode(newRequest(.jobRead(job: id)), instanceUUID: job.uuid))
    }

    private mutating func pollAgain(_ id: Int, now: Duration) {
        guard let job = compute.powerJobs[id] else { return }
        guard job.polls + 1 < compute.configuration.ironicMaxRetries else {
            if job.phase == .softOff { return hardPowerOff(id) }
            return failPowerJob(id, "Timed out waiting for Ironic node \(job.node ?? "?") to power \(job.verb.direction)",
                                now: now)
        }
        compute.powerJobs[id]?.polls += 1
        emit(.startTimer(.powerPoll(job: id), after: compute.configuration.ironicPollInterval))
    }

    /// The final `instance.save(expected_task_state=expected)`; a conflict is logged, as nova's decorator does.
    mutating func finishPowerJob(_ id: Int, vmState: String, powerState: Int, expected: [String?], now: Duration) {
        guard let job = compute.powerJobs[id], var row = instances[job.uuid] else { return endPowerJob(id, now: now) }
        if expected.contains(row.taskState) {
            row.vmState = vmState
            row.powerState = powerState
            row.taskState = nil
            store(row, now: now)
            log(.info, job.uuid, "Instance \(job.verb.pastTense): vm_state \(vmState), power_state \(powerState)", now: now)
        } else {
            log(.info, job.uuid, "Task possibly preempted: Conflict updating instance \(job.uuid). Expected: "
                + "{'task_state': [\(expected.map(Self.python).joined(separator: ", "))]}. Actual: {'task_state': "
                + "\(Self.python(row.taskState))}", now: now)
        }
        endPowerJob(id, now: now)
    }

    /// A task state as nova prints it.
    static func python(_ taskState: String?) -> String { taskState.map { "'\($0)'" } ?? "None" }

    /// `reverts_task_state`: task_state back to None whatever it is now (no CAS), and the lock is freed.
    mutating func failPowerJob(_ id: Int, _ message: String, now: Duration) {
        guard let job = compute.powerJobs[id] else { return }
        log(.error, job.uuid, "\(job.verb.rawValue)_instance failed: \(message)", now: now)
        if var row = instances[job.uuid] {
            let reverted = row.taskState
            row.taskState = nil
            store(row, now: now)
            log(.info, job.uuid, "Successfully reverted task state from \(reverted ?? "None") on failure for instance.",
                now: now)
        }
        endPowerJob(id, now: now)
    }

    private mutating func endPowerJob(_ id: Int, now: Duration) {
        guard let job = compute.powerJobs.removeValue(forKey: id) else { return }
        if compute.locks[job.uuid]?.holder == job.holder(id) { releaseLock(job.uuid, now: now) }
    }
}

extension NovaCompute.PowerVerb {
    /// The task_state `compute_api` sets before casting.
    var taskState: String { self == .stop ? "powering-off" : "powering-on" }
    var direction: String { self == .stop ? "off" : "on" }
    var pastTense: String { self == .stop ? "stopped" : "started" }
}

extension NovaCompute.PowerJob {
    func holder(_ id: Int) -> NovaCompute.Holder { verb == .stop ? .stop(job: id) : .start(job: id) }
}

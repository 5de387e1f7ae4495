/// `stop_instance` on the host's main queue (nova.md §3.4): under the instance lock, a fresh read, Ironic's soft
/// power off with `shutdown_timeout`, polling until the target clears, a hard power off if the node is still on,
/// then stopped/<fresh state>/None with a CAS on powering-off (or None when it was already off).
/// Any Ironic error reverts task_state to None (`reverts_task_state`).
extension FakeNova {
    mutating func startStopInstance(_ uuid: String, now: Duration) {
        let id = compute.makeID()
        compute.stopJobs[id] = .init(uuid: uuid)
        if acquireLock(uuid, for: .stop(job: id)) { stopLocked(id) }
    }

    /// The job holds `nova-<uuid>`: `_get_power_state` reads fresh.
    mutating func stopLocked(_ id: Int) {
        guard let job = compute.stopJobs[id] else { return }
        compute.stopJobs[id]?.phase = .freshRead
        emit(.getIronicNode(newRequest(.stopRead(job: id)), instanceUUID: job.uuid))
    }

    mutating func stopNodeRead(_ id: Int, _ result: Result<NovaCompute.IronicNodeView?, NovaCompute.IronicCallError>,
                               now: Duration) {
        guard let job = compute.stopJobs[id] else { return }
        let node: NovaCompute.IronicNodeView
        switch result {
        case .failure(let error): return failStop(id, error.message, now: now)
        case .success(nil): return failStop(id, "Instance \(job.uuid) could not be found.", now: now)
        case .success(let found?): node = found
        }
        compute.stopJobs[id]?.node = node.uuid
        switch job.phase {
        case .waitingForLock: return
        case .freshRead:
            if node.novaPowerState != FakeNovaInstance.running {
                log(.info, job.uuid, "Instance is already powered off in the hypervisor when stop is called.", now: now)
                compute.stopJobs[id]?.alreadyOff = true
            }
            requestPower(id, node: node.uuid, target: "soft power off", timeout: compute.configuration.shutdownTimeout)
            compute.stopJobs[id]?.phase = .softOff
        case .softOff, .hardOff:
            if node.targetPowerState != nil { return pollAgain(id, now: now) }
            if job.phase == .softOff, node.powerState != "power off" {
                log(.info, job.uuid, "Failed to soft power off instance \(job.uuid) with timeout "
                    + "\(compute.configuration.shutdownTimeout), trying hard power off.", now: now)
                return hardPowerOff(id)
            }
            log(.info, job.uuid, "Successfully \(job.phase == .softOff ? "soft " : "")powered off Ironic node \(node.uuid)",
                now: now)
            finishStop(id, freshState: node.novaPowerState, now: now)
        }
    }

    private mutating func requestPower(_ id: Int, node: String, target: String, timeout: Int?) {
        compute.stopJobs[id]?.polls = 0
        emit(.setIronicPowerState(newRequest(.stopPower(job: id)), nodeUUID: node, target: target, timeout: timeout))
    }

    private mutating func hardPowerOff(_ id: Int) {
        guard let node = compute.stopJobs[id]?.node else { return }
        compute.stopJobs[id]?.phase = .hardOff
        requestPower(id, node: node, target: "power off", timeout: nil)
    }

    mutating func stopPowerRequested(_ id: Int, _ result: Result<Void, NovaCompute.IronicCallError>, now: Duration) {
        guard let job = compute.stopJobs[id] else { return }
        switch (result, job.phase) {
        case (.success, _): stopPoll(id)  // the looping call checks once at once, then every interval
        case (.failure(let error), .softOff):
            // The driver catches any soft power off failure and falls back to a hard power off.
            log(.warning, job.uuid, "Failed to soft power off instance \(job.uuid) due to \(error.message)", now: now)
            hardPowerOff(id)
        case (.failure(let error), _): failStop(id, error.message, now: now)
        }
    }

    /// `_wait_for_power_state`: a fresh GET until `target_power_state` is null.
    mutating func stopPoll(_ id: Int) {
        guard let job = compute.stopJobs[id] else { return }
        emit(.getIronicNode(newRequest(.stopRead(job: id)), instanceUUID: job.uuid))
    }

    private mutating func pollAgain(_ id: Int, now: Duration) {
        guard let job = compute.stopJobs[id] else { return }
        guard job.polls + 1 < compute.configuration.ironicMaxRetries else {
            if job.phase == .softOff { return hardPowerOff(id) }
            return failStop(id, "Timed out waiting for Ironic node \(job.node ?? "?") to power off", now: now)
        }
        compute.stopJobs[id]?.polls += 1
        emit(.startTimer(.stopPoll(job: id), after: compute.configuration.ironicPollInterval))
    }

    /// The final save: stopped, the fresh power state, task_state None, expected powering-off (or None).
    private mutating func finishStop(_ id: Int, freshState: Int, now: Duration) {
        guard let job = compute.stopJobs[id], var row = instances[job.uuid] else { return endStop(id, now: now) }
        let expected: [String?] = job.alreadyOff ? ["powering-off", nil] : ["powering-off"]
        if expected.contains(row.taskState) {
            row.vmState = "stopped"
            row.powerState = freshState
            row.taskState = nil
            store(row, now: now)
            log(.info, job.uuid, "Instance stopped: vm_state stopped, power_state \(freshState)", now: now)
        } else {
            log(.info, job.uuid, "Task possibly preempted: Conflict updating instance \(job.uuid). Expected: "
                + "{'task_state': [\(expected.map(Self.python).joined(separator: ", "))]}. Actual: {'task_state': "
                + "\(Self.python(row.taskState))}", now: now)
        }
        endStop(id, now: now)
    }

    /// A task state as nova prints it.
    static func python(_ taskState: String?) -> String { taskState.map { "'\($0)'" } ?? "None" }

    private mutating func failStop(_ id: Int, _ message: String, now: Duration) {
        guard let job = compute.stopJobs[id] else { return }
        log(.error, job.uuid, "stop_instance failed: \(message)", now: now)
        if var row = instances[job.uuid] {
            row.taskState = nil
            store(row, now: now)
            log(.info, job.uuid, "Successfully reverted task state from powering-off on failure for instance.", now: now)
        }
        endStop(id, now: now)
    }

    private mutating func endStop(_ id: Int, now: Duration) {
        guard let job = compute.stopJobs.removeValue(forKey: id) else { return }
        if compute.locks[job.uuid]?.holder == .stop(job: id) { releaseLock(job.uuid, now: now) }
    }
}

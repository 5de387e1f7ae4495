import ControllerCore

// Nova's side: power-update handling, the periodic sync with its cached node table, stop/start calling Ironic
// (the controller), all under per-instance locks. Phrases follow nova.md §2-§3 so traces read like Nova's logs.
extension ScenarioWorld {
    mutating func startNova() {
        scheduler.schedule(.nova(.refreshCache(periodic: true)), at: .zero)
        if scenario.nova.syncInterval != nil { scheduler.schedule(.nova(.syncPeriodic(periodic: true)), at: .zero) }
    }

    func computeLane(_ uuid: String) -> String {
        "nova-compute:" + (nodeOfInstance[uuid].map { hosts[$0] } ?? "?")
    }

    func instanceName(_ uuid: String) -> String {
        nodeOfInstance[uuid].map { names[$0] + "/" } ?? ""
    }

    mutating func novaStep(_ step: NovaStep) {
        switch step {
        case .powerUpdateArrives(let item):
            lockOrWait(item.snapshot.uuid, .powerUpdate(item))
        case .cast(let job):
            switch job {
            case .stopInstance(let uuid), .startInstance(let uuid), .syncWorker(let uuid, _): lockOrWait(uuid, job)
            case .powerUpdate(let item): lockOrWait(item.snapshot.uuid, job)
            }
        case .run(let job):
            run(job)
        case .refreshCache(let periodic):
            for (uuid, index) in instancesInOrder() { compute.cache[uuid] = NovaComputeModel.novaPower(novaView(node: index)) }
            record(.note, "nova-sync", "update_available_resource: node cache refreshed")
            if periodic { scheduler.schedule(.nova(.refreshCache(periodic: true)), after: scenario.nova.cacheRefreshInterval) }
        case .syncPeriodic(let periodic):
            guard let interval = scenario.nova.syncInterval else {
                record(.note, "nova-sync", "sync_power_state disabled")
                return
            }
            startNovaSync()
            if periodic { scheduler.schedule(.nova(.syncPeriodic(periodic: true)), after: interval) }
        case .syncRecheck(let uuid):
            syncRecheck(uuid)
        case .taskRead(let uuid, let task):
            taskRead(uuid, task)
        case .taskPut(let uuid, let task, let attempt):
            taskPut(uuid, task, attempt: attempt)
        case .taskPoll(let uuid, let task):
            taskPoll(uuid, task)
        }
    }

    func instancesInOrder() -> [(String, Int)] {
        instanceOfNode.enumerated().compactMap { index, uuid in uuid.map { ($0, index) } }
    }

    private mutating func lockOrWait(_ uuid: String, _ job: NovaJob) {
        if compute.acquire(uuid, job) { scheduler.schedule(.nova(.run(job)), after: .zero) }
    }

    private mutating func unlock(_ uuid: String) {
        if let next = compute.release(uuid, random: &novaRandom) { scheduler.schedule(.nova(.run(next)), after: .zero) }
    }

    private mutating func run(_ job: NovaJob) {
        switch job {
        case .powerUpdate(let item): powerUpdate(item)
        case .syncWorker(let uuid, let listed): syncWorker(uuid, listedTask: listed)
        case .stopInstance(let uuid): taskStart(uuid, .stop(hard: false))
        case .startInstance(let uuid): taskStart(uuid, .start)
        }
    }

    // MARK: power-update (nova.md §2)

    private mutating func powerUpdate(_ item: FakeNova.PendingPowerUpdate) {
        let uuid = item.snapshot.uuid
        defer { unlock(uuid) }
        let on = item.tag == "POWER_ON"
        let snapshot = item.snapshot
        let lane = computeLane(uuid)
        guard snapshot.taskState == nil, snapshot.vmState == (on ? "stopped" : "active"),
              snapshot.powerState == (on ? FakeNovaInstance.shutdown : FakeNovaInstance.running) else {
            record(.note, lane, "\(instanceName(uuid))The power-update \(item.tag) event is a no-op since the instance is in "
                + "vm_state \(snapshot.vmState), task_state \(snapshot.taskState ?? "None") and power_state \(snapshot.powerState)")
            return
        }
        guard var row = nova.instances[uuid] else { return }
        if let actual = row.taskState {
            record(.note, lane, "\(instanceName(uuid))The power-update event was possibly preempted: Conflict updating "
                + "instance. Expected: {'task_state': [None]}. Actual: {'task_state': '\(actual)'}")
            return
        }
        row.vmState = on ? "active" : "stopped"
        row.powerState = on ? FakeNovaInstance.running : FakeNovaInstance.shutdown
        nova.instances[uuid] = row
        record(.state, lane, "\(instanceName(uuid))Power update called for instance with target power state \(item.tag)")
    }

    // MARK: The periodic sync (nova.md §3.3-§3.4)

    mutating func startNovaSync() {
        var listed = 0
        for (uuid, _) in instancesInOrder() where !compute.syncQueued.contains(uuid) {
            compute.syncQueued.insert(uuid)
            compute.syncQueue.append((uuid, nova.instances[uuid]?.taskState))
            listed += 1
        }
        record(.note, "nova-sync", "_sync_power_states: \(listed) instances")
        startSyncWorkers()
    }

    private mutating func startSyncWorkers() {
        while compute.syncActive < max(1, scenario.nova.syncPoolSize), !compute.syncQueue.isEmpty {
            let (uuid, listed) = compute.syncQueue.removeFirst()
            compute.syncActive += 1
            lockOrWait(uuid, .syncWorker(uuid, listedTask: listed))
        }
    }

    private mutating func syncWorkerDone(_ uuid: String) {
        compute.syncActive -= 1
        compute.syncQueued.remove(uuid)
        unlock(uuid)
        startSyncWorkers()
    }

    private mutating func syncWorker(_ uuid: String, listedTask: String?) {
        let who = instanceName(uuid)
        if let listedTask {
            record(.note, "nova-sync", "\(who)During sync_power_state the instance has a pending task (\(listedTask)). Skip.")
            return syncWorkerDone(uuid)
        }
        guard var row = nova.instances[uuid], let index = nodeOfInstance[uuid] else { return syncWorkerDone(uuid) }
        let driver = compute.cache[uuid] ?? NovaComputeModel.novaPower(novaView(node: index))
        if let task = row.taskState {
            record(.note, "nova-sync", "\(who)During sync_power_state the instance has a pending task (\(task)). Skip.")
            return syncWorkerDone(uuid)
        }
        if driver != row.powerState {
            record(.note, "nova-sync", "\(who)DB power_state (\(row.powerState)) does not match the vm_power_state from "
                + "the hypervisor (\(driver)). Updating power_state in the DB to match the hypervisor.")
            row.powerState = driver
            nova.instances[uuid] = row
        }
        switch (row.vmState, driver) {
        case ("active", FakeNovaInstance.shutdown):
            scheduler.schedule(.nova(.syncRecheck(uuid)), after: options.ironicAPILatency)
            return
        case ("stopped", FakeNovaInstance.running):
            record(.note, "nova-sync", "\(who)Instance is not stopped. Calling the stop API. (force_stop)")
            beginStop(uuid)
        default:
            break
        }
        syncWorkerDone(uuid)
    }

    private mutating func syncRecheck(_ uuid: String) {
        defer { syncWorkerDone(uuid) }
        guard let index = nodeOfInstance[uuid], let row = nova.instances[uuid] else { return }
        let fresh = NovaComputeModel.novaPower(novaView(node: index))
        guard fresh == FakeNovaInstance.shutdown, row.taskState == nil, row.vmState == "active" else { return }
        record(.note, "nova-sync", "\(instanceName(uuid))Instance shutdown by itself. Calling the stop API.")
        beginStop(uuid)
    }

    /// compute_api.stop / force_stop: task_state powering-off, then cast stop_instance.
    mutating func beginStop(_ uuid: String) {
        nova.instances[uuid]?.taskState = "powering-off"
        scheduler.schedule(.nova(.cast(.stopInstance(uuid))), after: scenario.nova.eventDelay)
    }

    // MARK: stop_instance / start_instance calling Ironic

    private mutating func taskStart(_ uuid: String, _ task: NovaPowerTask) {
        scheduler.schedule(.nova(.taskRead(uuid, task)), after: options.ironicAPILatency)
    }

    private mutating func taskRead(_ uuid: String, _ task: NovaPowerTask) {
        guard let index = nodeOfInstance[uuid] else { return unlock(uuid) }
        let fresh = novaView(node: index)
        if fresh == task.action.targetState {
            record(.note, computeLane(uuid), "\(instanceName(uuid))Instance already powered \(task == .start ? "on" : "off")")
            return taskFinish(uuid, task, fresh: fresh)
        }
        scheduler.schedule(.nova(.taskPut(uuid, task, attempt: 1)), after: options.ironicAPILatency)
    }

    private mutating func taskPut(_ uuid: String, _ task: NovaPowerTask, attempt: Int) {
        guard let index = nodeOfInstance[uuid] else { return unlock(uuid) }
        let timeout: Duration? = task == .stop(hard: false) ? .seconds(60) : nil
        record(.note, computeLane(uuid), "\(instanceName(uuid))PUT /v1/nodes/\(names[index])/states/power '\(task.action.rawValue)'")
        if requestPowerAction(task.action, node: index, requestedByNova: true, timeout: timeout) {
            scheduler.schedule(.nova(.taskPoll(uuid, task)), after: .seconds(2))
        } else if attempt < 60 {
            scheduler.schedule(.nova(.taskPut(uuid, task, attempt: attempt + 1)), after: .seconds(2))
        } else {
            taskFinish(uuid, task, fresh: novaView(node: index))
        }
    }

    private mutating func taskPoll(_ uuid: String, _ task: NovaPowerTask) {
        guard let index = nodeOfInstance[uuid] else { return unlock(uuid) }
        if nodes[index].targetPowerState != nil {
            scheduler.schedule(.nova(.taskPoll(uuid, task)), after: .seconds(2))
            return
        }
        let fresh = novaView(node: index)
        if fresh != task.action.targetState, task == .stop(hard: false) {
            scheduler.schedule(.nova(.taskPut(uuid, .stop(hard: true), attempt: 1)), after: options.ironicAPILatency)
            return
        }
        taskFinish(uuid, task, fresh: fresh)
    }

    private mutating func taskFinish(_ uuid: String, _ task: NovaPowerTask, fresh: PowerState?) {
        if var row = nova.instances[uuid] {
            row.powerState = NovaComputeModel.novaPower(fresh)
            row.vmState = task == .start ? "active" : "stopped"
            row.taskState = nil
            nova.instances[uuid] = row
            record(.state, computeLane(uuid), "\(instanceName(uuid))\(task == .start ? "start" : "stop")_instance done: "
                + "vm_state \(row.vmState), power_state \(row.powerState)")
        }
        unlock(uuid)
    }

    // MARK: The user's API

    mutating func novaUserRequest(_ uuid: String, start: Bool) {
        guard let row = nova.instances[uuid] else { return }
        let needed = start ? "stopped" : "active"
        guard row.vmState == needed, row.taskState == nil else {
            record(.note, "nova-api", "\(instanceName(uuid))\(start ? "start" : "stop"): 409 Conflict (vm_state "
                + "\(row.vmState), task_state \(row.taskState ?? "None"))")
            return
        }
        record(.note, "nova-api", "\(instanceName(uuid))\(start ? "start" : "stop"): 202")
        if start {
            nova.instances[uuid]?.taskState = "powering-on"
            scheduler.schedule(.nova(.cast(.startInstance(uuid))), after: scenario.nova.eventDelay)
        } else {
            beginStop(uuid)
        }
    }
}

import IPMI
import ControllerCore

/// What nova-compute works on under an instance's lock `nova-<uuid>` (nova.md §2-§3).
enum NovaJob: Sendable {
    /// `power_update` for one accepted event, checked against nova-api's snapshot.
    case powerUpdate(FakeNova.PendingPowerUpdate)
    /// `_sync_instance_power_state`, with the task_state the periodic task listed.
    case syncWorker(String, listedTask: String?)
    case stopInstance(String)
    case startInstance(String)
}

/// Whether a stop/start task is powering off or on, and whether the soft off already failed.
enum NovaPowerTask: Sendable, Equatable {
    case stop(hard: Bool)
    case start

    var action: PowerAction {
        switch self {
        case .stop(let hard): hard ? .powerOff : .softPowerOff
        case .start: .powerOn
        }
    }
}

/// Nova's timed steps in the world's event queue.
enum NovaStep: Sendable {
    /// The RPC cast of an accepted power-update reached compute; it now waits for the instance's lock.
    case powerUpdateArrives(FakeNova.PendingPowerUpdate)
    /// An RPC cast (stop_instance, start_instance) reached compute.
    case cast(NovaJob)
    /// The lock was granted: run the job.
    case run(NovaJob)
    case refreshCache(periodic: Bool)
    case syncPeriodic(periodic: Bool)
    /// The sync worker's fresh `get_info(use_cache=False)` came back (lock held).
    case syncRecheck(String)
    /// stop_instance / start_instance: the fresh read came back.
    case taskRead(String, NovaPowerTask)
    /// The `PUT /v1/nodes/{id}/states/power` reaches Ironic.
    case taskPut(String, NovaPowerTask, attempt: Int)
    /// Polling `target_power_state` every `api_retry_interval`.
    case taskPoll(String, NovaPowerTask)
}

/// Nova's compute side for Ironic instances as a small model: the node cache, per-instance locks that are not FIFO
/// across RPC servers (the next holder is drawn from the seed), and the sync worker pool. The instance rows are the
/// fake Nova's. Stands in until the Nova compute model of issue 7 (branch novacompute) is wired in.
struct NovaComputeModel: Sendable {
    struct Lock: Sendable {
        var held = false
        var waiters: [NovaJob] = []
    }

    let settings: ScenarioNova
    /// `node_cache`: Nova's power_state integer per instance as of the last refresh.
    var cache: [String: Int] = [:]
    var locks: [String: Lock] = [:]
    var syncQueue: [(uuid: String, listedTask: String?)] = []
    var syncQueued: Set<String> = []
    var syncActive = 0

    init(scenario: ScenarioNova) {
        settings = scenario
    }

    /// Ironic's power_state as Nova's driver maps it (nova.md §3.2).
    static func novaPower(_ state: PowerState?) -> Int {
        switch state {
        case .powerOn: FakeNovaInstance.running
        case .powerOff: FakeNovaInstance.shutdown
        case .error, nil: 0
        }
    }

    /// Takes the lock for `job` or queues it; returns whether it may run now.
    mutating func acquire(_ uuid: String, _ job: NovaJob) -> Bool {
        if locks[uuid, default: Lock()].held {
            locks[uuid, default: Lock()].waiters.append(job)
            return false
        }
        locks[uuid, default: Lock()].held = true
        return true
    }

    /// Releases the lock; returns the waiter that gets it next (chosen with `random`, not first come first served).
    mutating func release(_ uuid: String, random: inout SeededGenerator) -> NovaJob? {
        guard var lock = locks[uuid] else { return nil }
        guard !lock.waiters.isEmpty else {
            locks[uuid] = nil
            return nil
        }
        let pick = min(lock.waiters.count - 1, Int(random.nextUnitInterval() * Double(lock.waiters.count)))
        let next = lock.waiters.remove(at: pick)
        lock.held = true
        locks[uuid] = lock
        return next
    }
}

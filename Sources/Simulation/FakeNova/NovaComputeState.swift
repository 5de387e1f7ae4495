/// The in-flight work of `NovaCompute`: who holds or waits for each instance lock, the per-host event queues, sync
/// workers, `stop_instance` / `start_instance` jobs and outstanding Ironic calls.
extension NovaCompute {
    /// Something that takes the lock `nova-<uuid>`.
    enum Holder: Hashable, Sendable {
        case event(host: String)
        case sync(worker: Int)
        case stop(job: Int)
        case start(job: Int)

        var kind: TaskKind {
            switch self {
            case .event: .event
            case .sync: .sync
            case .stop: .stop
            case .start: .start
            }
        }
    }

    struct InstanceLock: Sendable {
        var holder: Holder?
        /// In arrival order; the order matters only to `.favour` and to the seeded draw's indexing.
        var waiters: [Holder] = []
    }

    /// One accepted power-update inside a cast, with the instance as nova-api loaded it.
    struct QueuedEvent: Sendable {
        var receivedIndex: Int
        var snapshot: FakeNovaInstance
        var tag: String
    }

    /// One `external_instance_event` cast to a host: a request's events for that host, handled in order.
    struct Cast: Sendable {
        var id: Int
        var delivered = false
        var events: [QueuedEvent]
        var next = 0
        /// The in-memory instance objects of this cast: later events see earlier ones' effect (nova.md §1.8).
        var working: [String: FakeNovaInstance] = [:]
    }

    /// A host's compute-alt worker: casts in arrival order, one at a time (head-of-line blocking included).
    struct HostQueue: Sendable {
        var casts: [Cast] = []
        var waitingForLock = false
    }

    struct SyncWorker: Sendable {
        var uuid: String
        /// task_state as `InstanceList.get_by_host` read it when the run started.
        var listedTaskState: String?
        var driverState = FakeNovaInstance.noState
    }

    /// A `stop_instance` or `start_instance` on the host's main queue.
    struct PowerJob: Sendable {
        enum Phase: Sendable, Equatable { case inTransit, waitingForLock, freshRead, softOff, hardOff, powerOn }
        var uuid: String
        var verb: PowerVerb
        var phase: Phase = .waitingForLock
        var node: String?
        var polls = 0
        /// The fresh read found the node off, so the final save also accepts task_state None.
        var alreadyOff = false
    }

    enum PendingCall: Sendable {
        case cacheList
        case syncDriverState(worker: Int)
        case syncFreshRecheck(worker: Int)
        case jobRead(job: Int)
        case jobPower(job: Int)
    }
}

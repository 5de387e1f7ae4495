import IPMI

/// nova-compute for Ironic instances as a pure machine (nova.md §1.7–§3): the per-host event queue, the per-instance
/// lock `nova-<uuid>`, the periodic power sync over a cached node table, the user's `os-stop`/`os-start`, and `stop_instance` /
/// `start_instance` against Ironic.
/// Inputs in, actions out; virtual time is passed in as `now`; lock hand-overs draw from a seeded generator held here.
/// The DB rows it reads and writes are `FakeNova.instances`, so the logic lives in `FakeNova.handleCompute`.
public struct NovaCompute: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// off: events are applied the old way (`applyImmediately` / `deliverPendingCompute`).
        public var queued = false
        /// RPC cast transit time: an accepted batch reaches its host's worker this long after the API answered.
        public var eventDelay: Duration = .zero
        /// `sync_power_state_interval`; nil or negative disables the periodic sync (the hook still runs it).
        public var syncInterval: Duration? = .seconds(600)
        /// `sync_power_state_pool_size`.
        public var syncPoolSize = 5
        /// `update_resources_interval`, which rebuilds the node cache; nil disables the periodic refresh.
        public var cacheRefreshInterval: Duration? = .seconds(60)
        /// Time a sync worker spends inside the lock between reading the driver state and the DB refresh.
        public var syncDatabaseTime: Duration = .milliseconds(5)
        /// How far behind the primary the replica the sync reads from is (`use_slave=True`).
        public var replicaLag: Duration = .zero
        /// `shutdown_timeout`, sent with the soft power off.
        public var shutdownTimeout = 60
        /// `[ironic] api_retry_interval` and `api_max_retries`.
        public var ironicPollInterval: Duration = .seconds(2)
        public var ironicMaxRetries = 60
        public var lockArbitration: LockArbitration = .seeded

        public init() {}

        var syncEnabled: Bool { syncInterval.map { $0 >= .zero } ?? false }
    }

    /// Who gets a freed lock when several wait: nova's lock has no FIFO between the event and main RPC servers.
    public enum LockArbitration: Sendable, Equatable {
        /// Uniform among the waiters, drawn from the seeded generator.
        case seeded
        /// A waiter of this kind if any (oldest first), else the oldest; for scripting one interleaving.
        case favour(TaskKind)
    }

    public enum TaskKind: String, Sendable, Equatable { case event, sync, stop, start }

    /// The user-facing power calls of `compute_api` and the manager methods they cast.
    public enum PowerVerb: String, Sendable, Equatable { case stop, start }

    public enum Input: Sendable {
        /// Schedules the periodic sync (run immediately) and the cache refresh (also at once).
        case started
        case timerFired(TimerToken)
        case ironicNodes(RequestID, Result<[IronicNodeView], IronicCallError>)
        case ironicNode(RequestID, Result<IronicNodeView?, IronicCallError>)
        case ironicPowerRequested(RequestID, Result<Void, IronicCallError>)
        /// Replaces the configuration and re-arms the periodic timers.
        case configure(Configuration)
        case runSyncNow, refreshCacheNow
    }

    public enum Action: Sendable, Equatable {
        case startTimer(TimerToken, after: Duration)
        /// `GET /v1/nodes/detail`: uuid, instance_uuid, power_state, target_power_state.
        case listIronicNodes(RequestID)
        /// Fresh read: `GET /v1/nodes/detail?instance_uuid=<I>`; answer nil when no node has the instance.
        case getIronicNode(RequestID, instanceUUID: String)
        /// `PUT /v1/nodes/<n>/states/power` `{"target": ..., "timeout": ...}`.
        case setIronicPowerState(RequestID, nodeUUID: String, target: String, timeout: Int?)
        case log(NovaComputeLog)
    }

    /// What a timer is for; the driver only echoes it back. Generations retire periodic timers on reconfiguration.
    public enum TimerToken: Hashable, Sendable {
        case periodicSync(generation: Int)
        case cacheRefresh(generation: Int)
        case castDelivered(host: String, cast: Int)
        case syncDatabaseRead(worker: Int)
        /// `_wait_for_power_state`'s next look at the node, for a stop or start job.
        case powerPoll(job: Int)
        /// A user's `stop_instance` / `start_instance` cast reaching the host's main queue.
        case mainCastDelivered(job: Int)
    }

    public struct RequestID: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int
        public init(_ rawValue: Int) { self.rawValue = rawValue }
        public var description: String { "req#\(rawValue)" }
    }

    /// The fields of an Ironic node nova-compute reads.
    public struct IronicNodeView: Sendable, Equatable {
        public var uuid: String
        public var instanceUUID: String?
        public var powerState: String?
        public var targetPowerState: String?

        public init(uuid: String, instanceUUID: String?, powerState: String?, targetPowerState: String? = nil) {
            self.uuid = uuid
            self.instanceUUID = instanceUUID
            self.powerState = powerState
            self.targetPowerState = targetPowerState
        }

        /// nova.md §3.2: "power on" → 1, "power off" → 4, anything else → 0 NOSTATE; the target is ignored.
        public var novaPowerState: Int {
            switch powerState {
            case "power on": FakeNovaInstance.running
            case "power off": FakeNovaInstance.shutdown
            default: FakeNovaInstance.noState
            }
        }
    }

    public struct IronicCallError: Error, Sendable, Equatable {
        /// HTTP status, or nil when Ironic could not be reached.
        public var status: Int?
        public var message: String
        public init(status: Int?, message: String) {
            self.status = status
            self.message = message
        }
    }

    public var configuration: Configuration
    var random: SeededGenerator
    /// Actions produced outside `handleCompute` (by the API accepting events), handed out with the next batch.
    var outbox: [Action] = []
    public internal(set) var log: [NovaComputeLog] = []
    var nextID = 0
    var syncGeneration = 0
    var cacheGeneration = 0
    /// Node cache keyed by instance uuid, as `_refresh_cache` builds it; nil until the first refresh.
    public internal(set) var nodeCache: [String: IronicNodeView]?
    var locks: [String: InstanceLock] = [:]
    var hosts: [String: HostQueue] = [:]
    var syncWorkers: [Int: SyncWorker] = [:]
    var syncWaiting: [Int] = []
    var syncRunning: Set<Int> = []
    var powerJobs: [Int: PowerJob] = [:]
    var requests: [RequestID: PendingCall] = [:]
    /// Old row values per instance with the time they were overwritten, for the replica's lagging view.
    var rowHistory: [String: [(at: Duration, before: FakeNovaInstance)]] = [:]

    public init(configuration: Configuration = Configuration(), seed: UInt64 = 0) {
        self.configuration = configuration
        self.random = SeededGenerator(seed: seed)
    }

    /// Logs kept for inspection are capped so a long run does not grow without bound.
    static let logCapacity = 10_000

    mutating func makeID() -> Int {
        nextID += 1
        return nextID
    }

    /// True while anything is in flight: queued events, sync workers, stop/start jobs or Ironic calls.
    public var isBusy: Bool {
        !syncWorkers.isEmpty || !powerJobs.isEmpty || !requests.isEmpty || hosts.values.contains { !$0.casts.isEmpty }
    }
}

/// One line of what compute did, with nova's key phrases.
public struct NovaComputeLog: Sendable, Equatable {
    public enum Level: String, Sendable, Equatable { case debug = "DEBUG", info = "INFO", warning = "WARNING", error = "ERROR" }
    public var at: Duration
    public var level: Level
    public var instance: String?
    public var message: String

    public init(at: Duration, level: Level, instance: String?, message: String) {
        self.at = at
        self.level = level
        self.instance = instance
        self.message = message
    }
}

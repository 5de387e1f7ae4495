import ControllerCore
import VirtualBMCCore

/// A scenario as a value: what one file in `scenarios/` says. The file format and its reader live next to this
/// (`ScenarioFileReader`); the deterministic engine (`ScenarioWorld`) and the live mode both run this value.
public struct Scenario: Sendable, Equatable {
    /// Short identifier, e.g. `seed-race`.
    public var name: String
    /// What the scenario shows, in prose, for humans.
    public var summary: String
    /// Groups of BMCs; each BMC is one Ironic node, optionally with a Nova instance.
    public var fleet: [ScenarioNodeGroup]
    /// Faults of the management network between the controller and every BMC (seeded).
    public var network: ScenarioNetwork
    public var controller: ScenarioController
    public var nova: ScenarioNova
    /// Actions at virtual instants, in file order for equal instants.
    public var timeline: [ScenarioStep]
    /// Checked after every step (safety) and at the end (liveness), by name; see `ScenarioInvariant`.
    public var invariants: [ScenarioInvariant]
    /// Seeds the file pins: each must give the scenario's `expectation`.
    public var seeds: [UInt64]
    /// Virtual time to run after the last step, so the end state settles before the final checks.
    public var settle: Duration
    public var expectation: ScenarioExpectation

    public init(name: String, summary: String, fleet: [ScenarioNodeGroup], network: ScenarioNetwork = .init(),
                controller: ScenarioController = .init(), nova: ScenarioNova = .init(), timeline: [ScenarioStep],
                invariants: [ScenarioInvariant] = ScenarioInvariant.allCases, seeds: [UInt64] = [1],
                settle: Duration = .seconds(900), expectation: ScenarioExpectation = .invariantsHold) {
        self.name = name
        self.summary = summary
        self.fleet = fleet
        self.network = network
        self.controller = controller
        self.nova = nova
        self.timeline = timeline
        self.invariants = invariants
        self.seeds = seeds
        self.settle = settle
        self.expectation = expectation
    }
}

/// `count` nodes named `<prefix>-0001`…; each has a BMC and, when `withInstances`, a Nova instance on `novaHost`.
public struct ScenarioNodeGroup: Sendable, Equatable {
    public var prefix: String
    public var count: Int
    public var powerOn: Bool
    public var timings: ChassisTimings
    public var faults: FaultSpec
    public var withInstances: Bool
    public var novaHost: String

    public init(prefix: String = "node", count: Int = 1, powerOn: Bool = false, timings: ChassisTimings = .init(),
                faults: FaultSpec = .none, withInstances: Bool = true, novaHost: String = "compute-1") {
        self.prefix = prefix
        self.count = count
        self.powerOn = powerOn
        self.timings = timings
        self.faults = faults
        self.withInstances = withInstances
        self.novaHost = novaHost
    }
}

public struct ScenarioNetwork: Sendable, Equatable {
    public var latency: Duration
    public var jitter: Duration
    public var loss: Double
    public var duplication: Double
    /// Probability that a datagram is held back behind the next one on its link.
    public var reordering: Double

    public init(latency: Duration = .milliseconds(1), jitter: Duration = .zero, loss: Double = 0,
                duplication: Double = 0, reordering: Double = 0) {
        self.latency = latency
        self.jitter = jitter
        self.loss = loss
        self.duplication = duplication
        self.reordering = reordering
    }
}

/// The controller's settings a scenario may change (Ironic's option names in docs/configuration.md).
public struct ScenarioController: Sendable, Equatable {
    public var syncPowerStateInterval: Duration
    public var forcePowerStateDuringSync: Bool
    public var powerStateSyncMaxRetries: Int
    public var sendPowerNotifications: Bool
    public var novaBatchWindow: Duration
    /// The race mitigation (`[nova] hold_power_state_until_applied`).
    public var holdPowerStateUntilApplied: Bool

    public init(syncPowerStateInterval: Duration = .seconds(60), forcePowerStateDuringSync: Bool = false,
                powerStateSyncMaxRetries: Int = 3, sendPowerNotifications: Bool = true,
                novaBatchWindow: Duration = .milliseconds(100), holdPowerStateUntilApplied: Bool = false) {
        self.syncPowerStateInterval = syncPowerStateInterval
        self.forcePowerStateDuringSync = forcePowerStateDuringSync
        self.powerStateSyncMaxRetries = powerStateSyncMaxRetries
        self.sendPowerNotifications = sendPowerNotifications
        self.novaBatchWindow = novaBatchWindow
        self.holdPowerStateUntilApplied = holdPowerStateUntilApplied
    }
}

/// The Nova model's settings (nova.md §3.1 names). `syncInterval == nil` disables Nova's periodic sync.
public struct ScenarioNova: Sendable, Equatable {
    public var syncInterval: Duration?
    public var cacheRefreshInterval: Duration
    /// How long an accepted event waits before nova-compute handles it (RPC cast + queue).
    public var eventDelay: Duration
    public var syncPoolSize: Int
    public var replicaLag: Duration
    /// Latency of Nova's API as the controller sees it.
    public var apiLatency: Duration

    public init(syncInterval: Duration? = .seconds(600), cacheRefreshInterval: Duration = .seconds(60),
                eventDelay: Duration = .milliseconds(50), syncPoolSize: Int = 5, replicaLag: Duration = .zero,
                apiLatency: Duration = .milliseconds(5)) {
        self.syncInterval = syncInterval
        self.cacheRefreshInterval = cacheRefreshInterval
        self.eventDelay = eventDelay
        self.syncPoolSize = syncPoolSize
        self.replicaLag = replicaLag
        self.apiLatency = apiLatency
    }
}

/// Which nodes a step acts on: by name, a 1-based index range inside a group, or all of them.
public enum ScenarioNodeSelector: Sendable, Equatable {
    case all
    case names([String])
    case range(prefix: String, first: Int, last: Int)
}

public struct ScenarioStep: Sendable, Equatable {
    /// Virtual instant from the start of the run.
    public var at: Duration
    public var action: ScenarioAction
    /// Widens `at` into [at, at + jitter) with the seed, so exploring seeds also explores interleavings.
    public var jitter: Duration

    public init(at: Duration, action: ScenarioAction, jitter: Duration = .zero) {
        self.at = at
        self.action = action
        self.jitter = jitter
    }
}

public enum ScenarioAction: Sendable, Equatable {
    /// An operator's request through the controller's API (`PUT /v1/nodes/{id}/states/power`).
    case powerAction(ScenarioNodeSelector, PowerAction)
    /// A Nova user's `os-stop` / `os-start` on the nodes' instances (Nova then asks the controller).
    case novaStop(ScenarioNodeSelector)
    case novaStart(ScenarioNodeSelector)
    /// Someone presses the chassis power button (the hardware changes behind everyone's back).
    case pressPowerButton(ScenarioNodeSelector)
    /// Replace the BMCs' faults (`.none` clears them).
    case setBMCFaults(ScenarioNodeSelector, FaultSpec)
    /// The BMC's password changes; `controllerUpdated` says whether the controller's driver_info follows.
    case rotateCredentials(ScenarioNodeSelector, newPassword: String, controllerUpdated: Bool)
    /// Nova's API answers 503 to everything while true.
    case novaOutage(Bool)
    /// Test hooks of the Nova model (nova.md §6.10, 13(g)).
    case runNovaSync
    case refreshNovaCache
    /// Run the controller's power sync pass now.
    case runControllerSync
}

/// Built-in invariants. Safety ones are checked after every step and event; liveness ones once the run settled.
public enum ScenarioInvariant: String, Sendable, Equatable, CaseIterable {
    /// At the end, each node's real power (the BMC) is what the last operator request asked for, unless the
    /// hardware changed it later (button press, failure) — Nova's sync must not undo an operator's request.
    case operatorIntentHolds = "operator-intent-holds"
    /// At the end, Nova's vm_state/power_state agree with the node's real power, and no task is left.
    case novaAgrees = "nova-agrees"
    /// At the end, every recorded change ended delivered or dropped with a reason; nothing left unsettled.
    case everyChangeSettled = "every-change-settled"
    /// Safety: for one instance, Nova never receives an older power-update after a newer one.
    case deliveredInOrder = "delivered-in-order"
}

public enum ScenarioExpectation: Sendable, Equatable {
    /// Every pinned seed passes every invariant.
    case invariantsHold
    /// Every pinned seed violates this invariant (a scenario that demonstrates a bug or race without a fix).
    case violates(ScenarioInvariant)
}

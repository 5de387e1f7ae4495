import ControllerCore

/// How a `ScenarioWorld` runs a scenario, beyond what the scenario itself says.
public struct ScenarioWorldOptions: Sendable, Equatable {
    /// One trace line per datagram send, receive and drop. nil: on for fleets of at most 20 nodes, so a 1,000-node
    /// trace stays readable.
    public var traceDatagrams: Bool?
    /// The controller's console keep-alive (the BMC drops sessions idle for 60 s).
    public var keepAliveInterval: Duration
    /// Nodes read at once by a sync pass (`PowerControllerConfiguration.syncWorkers`).
    public var syncWorkers: Int
    public var powerAction: PowerActionConfiguration
    /// `[conductor] power_failure_recovery_interval`.
    public var powerFailureRecoveryInterval: Duration
    /// How long one of Nova's reads of Ironic (node list, node GET, power PUT) takes.
    public var ironicAPILatency: Duration
    /// How often the mitigation looks the held instances up in Nova (GET /servers/{id}).
    public var holdConfirmInterval: Duration
    /// Also look a held instance up before answering each of Nova's reads of its node, so a hold never outlives
    /// Nova's application of the event into a read (closes half of the confirm gap, docs/scenarios.md).
    public var holdConfirmOnNovaRead: Bool

    public init(traceDatagrams: Bool? = nil, keepAliveInterval: Duration = .seconds(25), syncWorkers: Int = 1_000,
                powerAction: PowerActionConfiguration = .init(), powerFailureRecoveryInterval: Duration = .seconds(300),
                ironicAPILatency: Duration = .milliseconds(20), holdConfirmInterval: Duration = .seconds(1),
                holdConfirmOnNovaRead: Bool = false) {
        self.traceDatagrams = traceDatagrams
        self.keepAliveInterval = keepAliveInterval
        self.syncWorkers = max(1, syncWorkers)
        self.powerAction = powerAction
        self.powerFailureRecoveryInterval = powerFailureRecoveryInterval
        self.ironicAPILatency = ironicAPILatency
        self.holdConfirmInterval = holdConfirmInterval
        self.holdConfirmOnNovaRead = holdConfirmOnNovaRead
    }
}

/// One broken invariant: which, when, why, and where in the trace (its `violation` line).
public struct ScenarioViolation: Sendable, Equatable {
    public var invariant: ScenarioInvariant
    public var instant: Duration
    public var message: String
    public var traceIndex: Int
}

/// A node at the end of a run, as each party sees it.
public struct ScenarioNodeFinalState: Sendable, Equatable {
    public var name: String
    public var nodeID: String
    /// The controller's recorded `power_state`.
    public var powerState: PowerState?
    public var lastError: String?
    public var maintenance: Bool
    /// The chassis, the only truth.
    public var bmcPowerOn: Bool
    public var instanceUUID: String?
    public var novaVMState: String?
    public var novaPowerState: Int?
    public var novaTaskState: String?
}

public struct ScenarioCounters: Sendable, Equatable {
    public var novaRequests = 0
    public var eventsQueued = 0
    public var eventsDelivered = 0
    public var eventsDropped = 0
    public var datagramsSent = 0
    public var datagramsDelivered = 0
    public var datagramsDropped = 0
    public var powerActions = 0
    public var powerActionsFailed = 0
    /// Power requests refused with 409 (the node was busy).
    public var refusals = 0
    public var syncPasses = 0
    public var traceEvents = 0

    public init() {}
}

public struct ScenarioRunResult: Sendable {
    public var trace: [TraceEvent]
    public var violations: [ScenarioViolation]
    public var nodes: [ScenarioNodeFinalState]
    public var counters: ScenarioCounters
    /// Virtual time from the start to the end of the settle period.
    public var virtualDuration: Duration

    public var passed: Bool { violations.isEmpty }

    public func violated(_ invariant: ScenarioInvariant) -> Bool { violations.contains { $0.invariant == invariant } }

    /// The trace as the byte-stable file: one JSON object per line.
    public var traceText: String { trace.map(\.jsonLine).joined(separator: "\n") + (trace.isEmpty ? "" : "\n") }
}

extension ScenarioWorld {
    /// Builds the world and runs it once.
    public static func run(_ scenario: Scenario, seed: UInt64, options: ScenarioWorldOptions = .init()) -> ScenarioRunResult {
        var world = ScenarioWorld(scenario: scenario, seed: seed, options: options)
        return world.run()
    }
}

extension Scenario {
    /// Whether one run gives what the scenario expects of every pinned seed.
    public func meetsExpectation(_ result: ScenarioRunResult) -> Bool {
        switch expectation {
        case .invariantsHold: result.violations.isEmpty
        case .violates(let invariant): result.violated(invariant)
        }
    }
}

import ControllerCore
import IPMI
import VirtualBMCCore

/// Runs a `Scenario` deterministically: the controller's pure cores (Node, PowerActionMachine, PowerSync,
/// PowerSyncPassRunner, PowerRecovery, NovaNotifierMachine), one `ConsoleStateMachine` per BMC, the
/// `VirtualBMCNode` models and the Nova model, all driven by one `SimScheduler` in virtual time over a seeded
/// `SimulatedNetwork`. No clock, no sockets, no concurrency: the same seed gives the same trace, byte for byte.
///
/// This is the simulation's own shell around the same cores the production actors run (docs/scenarios.md, "Engine").
public struct ScenarioWorld: Sendable {
    enum Event: Sendable {
        case step(Int)
        case deliver(SimDatagram, node: Int, toBMC: Bool)
        case consoleTimer(node: Int, session: UInt64, token: TimerToken)
        case bmcAdvance(node: Int)
        case actionTimer(node: Int, action: UInt64, token: PowerActionMachine.TimerToken)
        case controllerSyncPass
        case recoveryPass
        case notifierPoll
        case notifierTimer(NovaNotifierMachine.TimerToken)
        case novaAPIRequest(NovaNotifierMachine.Request)
        case notifierResponse(NovaNotifierMachine.BatchID, NovaRequestResult, label: String)
        case notifierAuthenticated
        case nova(NovaStep)
        case holdConfirm
    }

    public let scenario: Scenario
    public let seed: UInt64
    public let options: ScenarioWorldOptions
    let traceDatagrams: Bool
    let syncConfiguration: PowerSyncConfiguration

    var scheduler = SimScheduler<Event>()
    var trace: [TraceEvent] = []
    var violations: [ScenarioViolation] = []
    var counters = ScenarioCounters()
    var finished = false

    // Randomness, one independent stream per part of the world.
    var network: SimulatedNetwork
    var reorderRandom: SeededGenerator
    var jitterRandom: SeededGenerator
    var novaRandom: SeededGenerator
    var notifierRandom: SeededGenerator

    // Per node, struct-of-arrays so a console and its entropy can be mutated together without overlapping access.
    var names: [String] = []
    var indexByName: [String: Int] = [:]
    var indexByID: [String: Int] = [:]
    var nodes: [Node] = []
    var generations: [UInt64] = []
    var hosts: [String] = []
    var bmcs: [VirtualBMCNode<String>] = []
    var bmcPower: [Bool] = []
    var bmcAdvanceAt: [Duration?] = []
    var consoles: [ConsoleStateMachine?] = []
    var consoleEntropy: [SeededGenerator] = []
    var consoleSessions: [UInt64] = []
    var consoleEstablished: [Bool] = []
    var outstanding: [[OutstandingRequest]] = []
    var consolePassword: [String] = []
    var linksToBMC: [SimLink] = []
    var linksToConsole: [SimLink] = []
    var actions: [RunningAction?] = []
    /// The last operator request per node (power action, Nova stop/start); nil when the hardware is the truth.
    var intent: [PowerState?] = []
    var nextActionID: UInt64 = 0

    // Controller: sync and recovery passes.
    var failureCounts = PowerSyncFailureCounts()
    var passCounts = PowerSyncFailureCounts()
    var syncRunner: PowerSyncPassRunner?
    var periodicSyncWaiting = false
    var periodicSyncFiredAt: Duration = .zero

    // Controller: the Nova outbox and its notifier.
    var notifier: NovaNotifierMachine
    var nextOutboxID: Int64 = 0
    var unsettled: [Int64: NovaPendingEvent] = [:]
    var newOutboxRows: [NovaPendingEvent] = []
    var notifierPollScheduled = false
    let notifierPollInterval: Duration

    // Nova.
    var nova: FakeNova
    /// Newest outbox id Nova's API received per instance, for `delivered-in-order`.
    var lastReceivedByInstance: [String: Int64] = [:]
    var instanceOfNode: [String?] = []
    var nodeOfInstance: [String: Int] = [:]
    var hold: NovaPowerStateHold

    public init(scenario: Scenario, seed: UInt64, options: ScenarioWorldOptions = .init()) {
        self.scenario = scenario
        self.seed = seed
        self.options = options
        var root = SeededGenerator(seed: seed)
        let net = scenario.network
        network = SimulatedNetwork(generator: root.split(), defaultFaults: LinkFaults(
            latency: net.latency, jitter: net.jitter, dropProbability: net.loss, duplicateProbability: net.duplication))
        reorderRandom = root.split()
        jitterRandom = root.split()
        novaRandom = root.split()
        notifierRandom = root.split()
        var bmcSeeds = root.split()
        var consoleSeeds = root.split()
        let total = scenario.fleet.reduce(0) { $0 + $1.count }
        traceDatagrams = options.traceDatagrams ?? (total <= 20)
        let controller = scenario.controller
        syncConfiguration = PowerSyncConfiguration(
            syncPowerStateInterval: controller.syncPowerStateInterval,
            forcePowerStateDuringSync: controller.forcePowerStateDuringSync,
            powerStateSyncMaxRetries: controller.powerStateSyncMaxRetries,
            powerFailureRecoveryInterval: options.powerFailureRecoveryInterval)
        let notifierConfiguration = NovaNotifierConfiguration(enabled: controller.sendPowerNotifications,
                                                              batchWindow: controller.novaBatchWindow)
        notifier = NovaNotifierMachine(configuration: notifierConfiguration)
        notifierPollInterval = max(.milliseconds(10), controller.novaBatchWindow)
        nova = FakeNova()
        nova.applyImmediately = false
        nova.compute = NovaCompute(configuration: Self.computeConfiguration(scenario.nova), seed: novaRandom.next())
        hold = NovaPowerStateHold(configuration: .init(enabled: controller.holdPowerStateUntilApplied))
        for group in scenario.fleet {
            for number in stride(from: 1, through: group.count, by: 1) {
                addNode(group: group, number: number, bmcSeed: bmcSeeds.next(), consoleSeed: consoleSeeds.next())
            }
        }
    }

    private mutating func addNode(group: ScenarioNodeGroup, number: Int, bmcSeed: UInt64, consoleSeed: UInt64) {
        let index = nodes.count
        let name = group.prefix + "-" + Self.padded(number, to: 4)
        let id = Self.uuid(prefix: "1", index + 1)
        let spec = BMCSpec(name: name, port: 623, powerOn: group.powerOn, timings: group.timings, faults: group.faults)
        let instance = group.withInstances ? Self.uuid(prefix: "2", index + 1) : nil
        let node = Node(id: id, name: name, driverInfo: DriverInfo(ipmiAddress: "bmc." + name, ipmiUsername: "admin",
                                                                   ipmiPassword: "password"),
                        powerState: group.powerOn ? .powerOn : .powerOff, provisionState: .active,
                        instanceUUID: instance, createdAt: .epoch)
        names.append(name)
        indexByName[name] = index
        indexByID[id] = index
        nodes.append(node)
        generations.append(0)
        hosts.append(group.novaHost)
        bmcs.append(VirtualBMCNode(spec: spec, seed: bmcSeed, now: .zero))
        bmcPower.append(group.powerOn)
        bmcAdvanceAt.append(nil)
        consoles.append(nil)
        consoleEntropy.append(SeededGenerator(seed: consoleSeed))
        consoleSessions.append(0)
        consoleEstablished.append(false)
        outstanding.append([])
        consolePassword.append("password")
        linksToBMC.append(SimLink(from: "node:" + name, to: "bmc:" + name))
        linksToConsole.append(SimLink(from: "bmc:" + name, to: "node:" + name))
        actions.append(nil)
        intent.append(nil)
        instanceOfNode.append(instance)
        if let instance {
            nodeOfInstance[instance] = index
            nova.add(FakeNovaInstance(uuid: instance, vmState: group.powerOn ? "active" : "stopped",
                                      powerState: group.powerOn ? FakeNovaInstance.running : FakeNovaInstance.shutdown,
                                      host: group.novaHost, node: id))
        }
    }

    public var now: Duration { scheduler.now }
    var timestamp: Timestamp { Timestamp(sinceEpoch: scheduler.now) }

    // MARK: Running

    /// Runs the timeline, then `settle` more virtual time, then the final checks. A world runs once.
    public mutating func run() -> ScenarioRunResult {
        precondition(!finished, "a ScenarioWorld runs once")
        var lastStep = Duration.zero
        for (index, step) in scenario.timeline.enumerated() {
            let instant = step.at + (step.jitter > .zero ? jitterRandom.nextDuration(upTo: step.jitter) : .zero)
            lastStep = max(lastStep, instant)
            scheduler.schedule(.step(index), at: instant)
        }
        if syncConfiguration.syncPowerStateInterval > .zero {
            scheduler.schedule(.controllerSyncPass, at: syncConfiguration.syncPowerStateInterval)
        }
        if options.powerFailureRecoveryInterval > .zero {
            scheduler.schedule(.recoveryPass, at: options.powerFailureRecoveryInterval)
        }
        startNova()
        if scenario.controller.holdPowerStateUntilApplied { scheduler.schedule(.holdConfirm, at: options.holdConfirmInterval) }
        let end = lastStep + scenario.settle
        while let (_, event) = scheduler.next(notAfter: end) { handle(event) }
        scheduler.advance(to: end)
        for index in bmcs.indices {
            bmcs[index].advance(to: end)
            noteBMCPower(index)
        }
        checkFinalInvariants()
        finished = true
        counters.traceEvents = trace.count
        return ScenarioRunResult(trace: trace, violations: violations, nodes: finalStates(), counters: counters,
                                 virtualDuration: end)
    }

    mutating func handle(_ event: Event) {
        switch event {
        case .step(let index): perform(scenario.timeline[index].action)
        case .deliver(let datagram, let node, let toBMC): deliver(datagram, node: node, toBMC: toBMC)
        case .consoleTimer(let node, let session, let token): consoleTimerFired(node: node, session: session, token: token)
        case .bmcAdvance(let node): advanceBMC(node)
        case .actionTimer(let node, let action, let token): feedAction(.timerFired(token), node: node, id: action)
        case .controllerSyncPass: periodicSyncPass()
        case .recoveryPass: recoveryPass()
        case .notifierPoll: pollOutbox()
        case .notifierTimer(let token): notifierHandle(.timerFired(token))
        case .novaAPIRequest(let request): novaAPIReceived(request)
        case .notifierResponse(let id, let result, let label): notifierResponse(id, result, label: label)
        case .notifierAuthenticated: notifierHandle(.authenticated)
        case .nova(let step): novaStep(step)
        case .holdConfirm: holdConfirm()
        }
    }

    // MARK: Trace

    mutating func record(_ kind: TraceEvent.Kind, _ lane: String, _ label: String, peer: String = "", id: String = "",
                         invariant: String = "") {
        let micros = now.simNanoseconds / 1_000
        trace.append(TraceEvent(at: micros, kind: kind, lane: lane, peer: peer, id: id, label: label, invariant: invariant))
    }

    mutating func violate(_ invariant: ScenarioInvariant, _ message: String) {
        guard scenario.invariants.contains(invariant) else { return }
        record(.violation, "scenario", message, invariant: invariant.rawValue)
        violations.append(ScenarioViolation(invariant: invariant, instant: now, message: message, traceIndex: trace.count - 1))
    }

    static func padded(_ number: Int, to width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A stable, valid UUID from a kind digit and a number, so runs name the same nodes and instances.
    static func uuid(prefix: String, _ number: Int) -> String {
        let hex = String(number, radix: 16)
        return prefix + "0000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }
}

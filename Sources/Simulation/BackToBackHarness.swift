import IPMI
import VirtualBMCCore

/// One `ConsoleStateMachine` against one `BMCStateMachine` over a `SimulatedNetwork`, in virtual time.
///
/// The harness is the shell of both machines: it performs their actions (sends, timers, dispatches), feeds events
/// back, and writes a trace. Everything nondeterministic comes from `Configuration.seed`, split into independent
/// streams for the network, the console and the BMC, so one seed replays one run exactly.
public struct BackToBackHarness: Sendable {
    public struct Configuration: Sendable {
        public var seed: UInt64
        public var console: ConsoleConfiguration
        public var bmc: BMCConfiguration
        public var faultsToBMC: LinkFaults
        public var faultsToConsole: LinkFaults
        /// How often the BMC shell sweeps its session table (`expireSessions`).
        public var expiryInterval: Duration
        /// The chassis power state at the start.
        public var powerOn: Bool

        /// `faults` applies to both directions unless `faultsToConsole` is given.
        public init(seed: UInt64, console: ConsoleConfiguration, bmc: BMCConfiguration, faults: LinkFaults = .perfect,
                    faultsToConsole: LinkFaults? = nil, expiryInterval: Duration = .seconds(1), powerOn: Bool = false) {
            self.seed = seed
            self.console = console
            self.bmc = bmc
            self.faultsToBMC = faults
            self.faultsToConsole = faultsToConsole ?? faults
            self.expiryInterval = expiryInterval
            self.powerOn = powerOn
        }
    }

    /// Something a scenario asks of the console at a chosen instant.
    public enum Command: Sendable, Hashable {
        case start
        case enqueue(IPMIRequest)
        case close
    }

    /// A request the console finished, successfully or not.
    public struct Completion: Sendable, Hashable {
        public var token: RequestToken
        public var instant: Duration
        public var result: Result<IPMIResponse, ConsoleError>
    }

    /// A request the BMC handed to the chassis: each one is an execution, so retransmits must not add any.
    public struct Dispatch: Sendable, Hashable {
        public var instant: Duration
        public var sessionID: UInt32
        public var message: LANRequest
        public var response: IPMIResponse
    }

    /// A datagram the BMC set aside, and why.
    public struct Ignored: Sendable, Hashable {
        public var instant: Duration
        public var reason: BMCStateMachine<String>.IgnoredReason
    }

    enum Event: Sendable {
        case deliver(SimDatagram)
        case consoleTimer(TimerToken)
        case expireSessions
        case command(Command)
    }

    public static let consoleEndpoint = "console"
    public static let bmcEndpoint = "bmc"
    public static let linkToBMC = SimLink(from: consoleEndpoint, to: bmcEndpoint)
    public static let linkToConsole = SimLink(from: bmcEndpoint, to: consoleEndpoint)

    public let configuration: Configuration
    public internal(set) var console: ConsoleStateMachine
    public internal(set) var bmc: BMCStateMachine<String>
    /// Settable so a scenario can change the chassis behind the BMC's back (a power button press, say).
    public var chassis: SimulatedChassis
    /// Settable so a scenario can change faults mid-run (heal a link, start dropping, add jitter).
    public var network: SimulatedNetwork

    /// One line per event: virtual time, who, what. Equal seeds give equal traces.
    public internal(set) var trace: [String] = []
    public internal(set) var completions: [Completion] = []
    public internal(set) var dispatches: [Dispatch] = []
    public internal(set) var ignoredByBMC: [Ignored] = []
    /// BMC session IDs removed by `expireSessions`, in the order they went.
    public internal(set) var expiredSessions: [UInt32] = []
    public internal(set) var established: SessionSummary?
    public internal(set) var failure: ConsoleError?
    public internal(set) var isClosed = false

    var scheduler = SimScheduler<Event>()
    var consoleEntropy: SeededGenerator
    var bmcEntropy: SeededGenerator

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        var root = SeededGenerator(seed: configuration.seed)
        network = SimulatedNetwork(generator: root.split())
        network.setFaults(configuration.faultsToBMC, on: Self.linkToBMC)
        network.setFaults(configuration.faultsToConsole, on: Self.linkToConsole)
        consoleEntropy = root.split()
        bmcEntropy = root.split()
        console = ConsoleStateMachine(configuration: configuration.console)
        bmc = BMCStateMachine(configuration: configuration.bmc)
        chassis = SimulatedChassis(powerOn: configuration.powerOn, guid: configuration.bmc.guid)
        scheduler.schedule(.expireSessions, after: configuration.expiryInterval)
    }

    public var now: Duration { scheduler.now }

    /// The console closed or failed; the BMC may still hold the session until it expires.
    public var isFinished: Bool { console.isFinished }

    public func result(for token: RequestToken) -> Result<IPMIResponse, ConsoleError>? {
        completions.last { $0.token == token }?.result
    }

    // MARK: - Commands

    public mutating func start() {
        record("console start")
        performConsole(console.start(entropy: &consoleEntropy))
    }

    /// Queues a request on the console now; its result shows up in `completions`.
    @discardableResult
    public mutating func enqueue(_ request: IPMIRequest) -> RequestToken {
        let (token, actions) = console.enqueue(request, entropy: &consoleEntropy)
        record("console enqueue \(token) \(request)")
        performConsole(actions)
        return token
    }

    public mutating func close() {
        record("console close")
        performConsole(console.close(entropy: &consoleEntropy))
    }

    /// Runs `command` when virtual time reaches `instant`.
    public mutating func schedule(_ command: Command, at instant: Duration) {
        scheduler.schedule(.command(command), at: instant)
    }

    // MARK: - Running

    /// Handles the next event due at or before `deadline`; false when there is none.
    @discardableResult
    public mutating func step(notAfter deadline: Duration) -> Bool {
        guard let (_, event) = scheduler.next(notAfter: deadline) else { return false }
        handle(event)
        return true
    }

    /// Runs until `condition` holds (checked before every event) or nothing is due by `deadline`, when virtual time
    /// is moved to the deadline. Returns whether the condition holds.
    @discardableResult
    public mutating func run(until deadline: Duration, stoppingWhen condition: (Self) -> Bool) -> Bool {
        while !condition(self) {
            guard step(notAfter: deadline) else {
                scheduler.advance(to: deadline)
                return condition(self)
            }
        }
        return true
    }

    /// Runs every event due by `deadline` and leaves virtual time there.
    public mutating func run(until deadline: Duration) {
        run(until: deadline) { _ in false }
    }

    public mutating func run(for duration: Duration) {
        run(until: now + duration)
    }

    // MARK: - Conveniences for tests and scenarios

    /// Starts the console and runs until the session is established or failed, within `limit` of virtual time.
    @discardableResult
    public mutating func establish(within limit: Duration = .seconds(120)) -> SessionSummary? {
        start()
        run(until: now + limit) { $0.established != nil || $0.isFinished }
        return established
    }

    /// Enqueues `request` and runs until it completes; nil if it has not within `limit`.
    @discardableResult
    public mutating func perform(_ request: IPMIRequest, within limit: Duration = .seconds(120))
        -> Result<IPMIResponse, ConsoleError>? {
        let token = enqueue(request)
        run(until: now + limit) { $0.result(for: token) != nil }
        return result(for: token)
    }

    /// Asks the console to close and runs until it has closed or failed; returns whether it closed.
    @discardableResult
    public mutating func closeSession(within limit: Duration = .seconds(120)) -> Bool {
        close()
        run(until: now + limit) { $0.isFinished }
        return isClosed
    }
}

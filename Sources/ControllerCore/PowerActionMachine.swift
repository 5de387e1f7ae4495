/// One power action on one node, as a pure machine: the shell feeds it events (BMC answers, timer expiries)
/// and performs the actions it returns. Follows Ironic's ipmitool driver (ironic.md P5, P11, I5, I6):
/// on, off and soft off first read the state and stop if it is already reached; reboot is off-then-on (never
/// `power cycle`), skipping the off when the node is already off; soft reboot is ACPI off then on. Every
/// command is confirmed by polling the state until it is reached or the timeout's idle time is used up.
public struct PowerActionMachine: Sendable {
    public enum Event: Hashable, Sendable {
        /// Begin; the node has already been claimed with `Node.beginPowerAction`.
        case start
        /// The chassis answered Get Chassis Status.
        case powerStateRead(PowerState)
        /// The read itself failed (no answer, session error); aborts the action as Ironic does.
        case readFailed(String)
        /// The BMC completed Chassis Control; the state may still be changing, hence the polling.
        case commandAccepted
        /// Chassis Control failed (completion code, no answer, session error); ends the action.
        case commandFailed(String)
        /// A `.startTimer` delay elapsed.
        case timerFired(TimerToken)
    }

    public enum Action: Hashable, Sendable {
        /// Send Chassis Control; answer with `.commandAccepted` or `.commandFailed`.
        case sendChassisControl(ChassisControlKind)
        /// Send Get Chassis Status; answer with `.powerStateRead` or `.readFailed`.
        case readPowerState
        /// Sleep on the shell's clock, then feed `.timerFired(token)`. Never cancelled: stale tokens are ignored.
        case startTimer(TimerToken, after: Duration)
        /// The action is over; hand the result to `Node.completePowerAction`.
        case finish(PowerActionResult)
    }

    /// Identifies one scheduled poll; a stale token (from a finished phase) is ignored, so timers never need
    /// cancelling.
    public struct TimerToken: Hashable, Sendable { public let value: UInt64 }

    enum Step: Hashable, Sendable {
        case command(ChassisControlKind)
        case waitFor(PowerState)
    }

    enum Phase: Hashable, Sendable {
        /// Built, waiting for `.start`.
        case idle
        /// The initial read that lets on, off and soft off stop early and reboot skip its off half (P5, I6).
        case checking
        /// A Chassis Control command is out; the next step waits for its answer.
        case commanding(ChassisControlKind)
        /// A poll timer is pending. `waited` is idle time including this sleep: like Ironic, time spent inside
        /// reads does not count toward the timeout.
        case sleeping(target: PowerState, waited: Duration, interval: Duration, token: TimerToken)
        /// A confirming read is out; `interval` is the last wait, grown by half for the next one.
        case reading(target: PowerState, waited: Duration, interval: Duration)
        /// `.finish` was emitted; every later event is ignored.
        case finished
    }

    public let action: PowerAction
    public let timeout: Duration
    let configuration: PowerActionConfiguration
    var steps: [Step]
    var phase: Phase = .idle
    var nextToken: UInt64 = 0

    public init(action: PowerAction, timeout: Duration? = nil, configuration: PowerActionConfiguration = .init()) {
        self.action = action
        self.configuration = configuration
        self.timeout = configuration.timeout(for: action, requested: timeout)
        switch action {
        case .powerOn: steps = [.command(.powerUp), .waitFor(.powerOn)]
        case .powerOff: steps = [.command(.powerDown), .waitFor(.powerOff)]
        case .softPowerOff: steps = [.command(.softShutdown), .waitFor(.powerOff)]
        case .rebooting, .softRebooting:
            let off: ChassisControlKind = action == .rebooting ? .powerDown : .softShutdown
            steps = [.command(off), .waitFor(.powerOff), .command(.powerUp), .waitFor(.powerOn)]
        }
    }

    public var isFinished: Bool { phase == .finished }

    public mutating func handle(_ event: Event) -> [Action] {
        // Every phase is listed so a new one breaks the build here; inner switches ignore events a phase does not
        // expect (stale timers, duplicate answers, anything after the end) by changing nothing.
        switch self.phase {
        case .idle:
            guard event == .start else { return [] }
            // Soft reboot is never skipped (P5), so it needs no initial read.
            if self.action == .softRebooting { return self.runNextStep() }
            self.phase = .checking
            return [.readPowerState]
        case .checking:
            switch event {
            case .powerStateRead(let state): return self.afterInitialRead(state)
            case .readFailed(let reason): return self.finish(.failed(reason))
            default: return []
            }
        case .commanding(let kind):
            switch event {
            case .commandAccepted: return self.runNextStep()
            case .commandFailed(let reason):
                return self.finish(.failed("IPMI call failed: \(kind.ipmitoolWords). \(reason)"))
            default: return []
            }
        case .sleeping(let target, let waited, let interval, let token):
            guard event == .timerFired(token) else { return [] }
            self.phase = .reading(target: target, waited: waited, interval: interval)
            return [.readPowerState]
        case .reading(let target, let waited, let interval):
            switch event {
            case .powerStateRead(let state) where state == target:
                return self.runNextStep()
            case .powerStateRead:
                // Still transitioning (or an `error` reading, which Ironic's wait also just polls past).
                let next = min(interval * 3 / 2, self.configuration.maxPollInterval)
                return self.sleep(toward: target, waited: waited, interval: next)
            case .readFailed(let reason):
                // Ironic's wait aborts on a read exception instead of retrying it (P11).
                return self.finish(.failed(reason))
            default:
                return []
            }
        case .finished:
            return []
        }
    }

    private mutating func afterInitialRead(_ state: PowerState) -> [Action] {
        switch action {
        case .powerOn, .powerOff, .softPowerOff:
            if state == action.targetState { return finish(.alreadyInState(state)) }
        case .rebooting:
            // Some BMCs error on off-when-off (Ironic bug 1718794), so an off node goes straight to the on half.
            if state == .powerOff { steps.removeFirst(2) }
        case .softRebooting:
            break
        }
        return runNextStep()
    }

    private mutating func runNextStep() -> [Action] {
        guard !steps.isEmpty else { return finish(.succeeded(action.targetState)) }
        switch steps.removeFirst() {
        case .command(let kind):
            phase = .commanding(kind)
            return [.sendChassisControl(kind)]
        case .waitFor(let target):
            return sleep(toward: target, waited: .zero, interval: configuration.initialPollDelay)
        }
    }

    /// Schedules the next read, trimmed so the last one lands exactly at the timeout; past it, the action fails
    /// with Ironic's `PowerStateFailure` text.
    private mutating func sleep(toward target: PowerState, waited: Duration, interval: Duration) -> [Action] {
        let remaining = timeout - waited
        guard remaining > .zero else { return finish(.failed("Failed to set node power state to \(target).")) }
        let delay = min(interval, remaining)
        let token = TimerToken(value: nextToken)
        nextToken += 1
        phase = .sleeping(target: target, waited: waited + delay, interval: interval, token: token)
        return [.startTimer(token, after: delay)]
    }

    private mutating func finish(_ result: PowerActionResult) -> [Action] {
        phase = .finished
        return [.finish(result)]
    }
}

/// How an action ended; the node turns it into `power_state`, `last_error` and maybe a Nova event.
public enum PowerActionResult: Hashable, Sendable {
    /// The target was reached after commanding it.
    case succeeded(PowerState)
    /// The first read showed the target already reached; no command was sent (P5).
    case alreadyInState(PowerState)
    case failed(String)
}

extension ChassisControlKind {
    /// ipmitool's words, so error texts read like Ironic's ("IPMI call failed: power on.").
    var ipmitoolWords: String {
        switch self {
        case .powerDown: "power off"
        case .powerUp: "power on"
        case .powerCycle: "power cycle"
        case .hardReset: "power reset"
        case .softShutdown: "power soft"
        }
    }
}

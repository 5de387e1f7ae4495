import IPMI

/// A power change the chassis has accepted but not finished. Until `nextChange` the chassis keeps its old state,
/// and Get Chassis Status says so: that is what a controller polling a real BMC sees.
public struct PowerTransition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case powerOn = "power on"
        case powerOff = "power off"
        case softShutdown = "soft shutdown"
        case powerCycle = "power cycle"
        case powerButton = "power button"
    }

    public var kind: Kind
    /// When the power state next changes, and to what.
    public var nextChange: Duration
    public var nextState: Bool
    /// A power cycle's second step: once off, power returns at this instant.
    public var thenOnAt: Duration?
    /// Asked for over IPMI: a power on then sets "last power on by IPMI command" in Get Chassis Status.
    public var byCommand: Bool

    /// The state the chassis ends up in when the transition has run its course.
    public var finalState: Bool { thenOnAt == nil ? nextState : true }

    /// Whether `action` asks for what is already under way, so repeating it changes nothing.
    func repeats(_ action: ChassisControl) -> Bool {
        switch (action, kind) {
        case (.powerUp, _): finalState
        case (.powerDown, .powerOff), (.powerDown, .powerButton): !finalState
        case (.softShutdown, .softShutdown), (.powerCycle, .powerCycle): true
        default: false
        }
    }
}

/// A power change that happened, kept for stale status.
public struct PowerChange: Sendable, Hashable {
    public var at: Duration
    public var powerOn: Bool

    public init(at: Duration, powerOn: Bool) {
        self.at = at
        self.powerOn = powerOn
    }
}

/// The latest power changes, oldest first, so the chassis can answer "was the power on at instant t?" without an
/// unbounded log. Only real changes are recorded, so they alternate: before the oldest kept change the state was its
/// opposite. Answers are exact while fewer than `limit` changes fall inside the window asked about.
struct PowerHistory: Sendable, Hashable {
    static let limit = 16
    private(set) var changes: [PowerChange] = []

    mutating func record(_ powerOn: Bool, at instant: Duration) {
        if changes.count >= Self.limit { changes.removeFirst() }
        changes.append(PowerChange(at: instant, powerOn: powerOn))
    }

    func state(at instant: Duration, current: Bool) -> Bool {
        guard let oldest = changes.first else { return current }
        if let latest = changes.last(where: { $0.at <= instant }) { return latest.powerOn }
        return !oldest.powerOn
    }
}

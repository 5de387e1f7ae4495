import IPMI

/// One virtual BMC as the management API shows it. Plain values, ready for JSON; durations are whole milliseconds.
public struct BMCSnapshot: Sendable, Hashable, Codable {
    public var name: String
    public var address: String
    public var port: Int
    /// The true power state.
    public var powerOn: Bool
    /// What Get Chassis Status answers now: differs from `powerOn` under the stale-status fault.
    public var reportedPowerOn: Bool
    public var pendingTransition: Transition?
    /// The boot device override in force ("none" once a one-time override was consumed).
    public var bootDevice: String
    public var bootPersistent: Bool
    public var bootEFI: Bool
    public var activeSessions: Int
    /// Half-open sessions included.
    public var sessions: Int
    public var cycles: Int
    public var resets: Int
    public var diagnosticInterrupts: Int
    public var buttonPresses: Int
    public var faults: Faults
    public var counters: BMCCounters

    public struct Transition: Sendable, Hashable, Codable, CustomStringConvertible {
        public var kind: PowerTransition.Kind
        /// The state the chassis ends up in.
        public var targetPowerOn: Bool
        /// Until the power state next changes (a power cycle changes twice).
        public var nextChangeInMilliseconds: Int
        /// Until the transition is over.
        public var completesInMilliseconds: Int

        public var description: String {
            "\(kind.rawValue) to \(targetPowerOn ? "on" : "off"), done in \(completesInMilliseconds) ms"
        }
    }

    /// `FaultSpec` with durations in milliseconds.
    public struct Faults: Sendable, Hashable, Codable {
        public var packetLoss: Double
        public var latencyMilliseconds: Int
        public var jitterMilliseconds: Int
        public var dead: Bool
        public var busy: Double
        public var stuckPower: Bool
        public var flappingPeriodMilliseconds: Int?
        public var staleStatusMilliseconds: Int?
        public var sessionTableFull: Bool
        public var credentialsRotated: Bool
        public var slowSessionSetupMilliseconds: Int

        public init(_ faults: FaultSpec) {
            packetLoss = faults.packetLoss
            latencyMilliseconds = faults.latency.wholeMilliseconds
            jitterMilliseconds = faults.jitter.wholeMilliseconds
            dead = faults.dead
            busy = faults.busy
            stuckPower = faults.stuckPower
            flappingPeriodMilliseconds = faults.flappingPeriod?.wholeMilliseconds
            staleStatusMilliseconds = faults.staleStatus?.wholeMilliseconds
            sessionTableFull = faults.sessionTableFull
            credentialsRotated = faults.credentialsRotated
            slowSessionSetupMilliseconds = faults.slowSessionSetup.wholeMilliseconds
        }

        /// Back to a `FaultSpec`, for an API that accepts faults in this shape.
        public var spec: FaultSpec {
            FaultSpec(packetLoss: packetLoss, latency: .milliseconds(latencyMilliseconds),
                      jitter: .milliseconds(jitterMilliseconds), dead: dead, busy: busy, stuckPower: stuckPower,
                      flappingPeriod: flappingPeriodMilliseconds.map { .milliseconds($0) },
                      staleStatus: staleStatusMilliseconds.map { .milliseconds($0) }, sessionTableFull: sessionTableFull,
                      credentialsRotated: credentialsRotated, slowSessionSetup: .milliseconds(slowSessionSetupMilliseconds))
        }
    }
}

extension VirtualBMCNode {
    /// The node as of `now`: transitions and flips due by then are shown done, without changing the node.
    public func snapshot(now: Duration) -> BMCSnapshot {
        var view = self
        view.advanceChassis(to: now)
        let chassis = view.chassis
        let transition = chassis.pending.map { pending in
            BMCSnapshot.Transition(kind: pending.kind, targetPowerOn: pending.finalState,
                                   nextChangeInMilliseconds: (pending.nextChange - now).wholeMilliseconds,
                                   completesInMilliseconds: ((pending.thenOnAt ?? pending.nextChange) - now).wholeMilliseconds)
        }
        let flags = chassis.bootFlags
        return BMCSnapshot(
            name: spec.name, address: spec.address, port: spec.port, powerOn: chassis.powerOn,
            reportedPowerOn: spec.faults.staleStatus.map { chassis.powerOn(at: now - $0) } ?? chassis.powerOn,
            pendingTransition: transition, bootDevice: flags.valid ? flags.device.description : BootDevice.noOverride.description,
            bootPersistent: flags.valid && flags.persistent, bootEFI: flags.valid && flags.efi,
            activeSessions: machine.activeSessionCount, sessions: machine.sessions.count, cycles: chassis.cycles,
            resets: chassis.resets, diagnosticInterrupts: chassis.diagnosticInterrupts, buttonPresses: chassis.buttonPresses,
            faults: BMCSnapshot.Faults(spec.faults), counters: view.counters)
    }
}

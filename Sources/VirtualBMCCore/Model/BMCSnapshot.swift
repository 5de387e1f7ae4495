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

    /// snake_case, like the fleet file and the rest of the management API.
    enum CodingKeys: String, CodingKey {
        case name, address, port, powerOn = "power_on", reportedPowerOn = "reported_power_on"
        case pendingTransition = "pending_transition", bootDevice = "boot_device", bootPersistent = "boot_persistent"
        case bootEFI = "boot_efi", activeSessions = "active_sessions", sessions, cycles, resets
        case diagnosticInterrupts = "diagnostic_interrupts", buttonPresses = "button_presses", faults, counters
    }

    public struct Transition: Sendable, Hashable, Codable, CustomStringConvertible {
        public var kind: PowerTransition.Kind
        /// The state the chassis ends up in.
        public var targetPowerOn: Bool
        /// Until the power state next changes (a power cycle changes twice).
        public var nextChangeInMilliseconds: Int
        /// Until the transition is over.
        public var completesInMilliseconds: Int

        enum CodingKeys: String, CodingKey {
            case kind, targetPowerOn = "target_power_on", nextChangeInMilliseconds = "next_change_in_ms"
            case completesInMilliseconds = "completes_in_ms"
        }

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

        /// The fleet file's key names, so the API speaks the same words as the file.
        enum CodingKeys: String, CodingKey {
            case packetLoss = "packet_loss", latencyMilliseconds = "latency_ms", jitterMilliseconds = "jitter_ms", dead, busy
            case stuckPower = "stuck_power", flappingPeriodMilliseconds = "flapping_period_ms"
            case staleStatusMilliseconds = "stale_status_ms", sessionTableFull = "session_table_full"
            case credentialsRotated = "credentials_rotated", slowSessionSetupMilliseconds = "slow_session_setup_ms"
        }

        /// Every key is optional when decoding: a request names only the faults it sets.
        public init(from decoder: any Decoder) throws {
            let values = try decoder.container(keyedBy: CodingKeys.self)
            self.init(.none)
            packetLoss = try values.decodeIfPresent(Double.self, forKey: .packetLoss) ?? 0
            latencyMilliseconds = try values.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? 0
            jitterMilliseconds = try values.decodeIfPresent(Int.self, forKey: .jitterMilliseconds) ?? 0
            dead = try values.decodeIfPresent(Bool.self, forKey: .dead) ?? false
            busy = try values.decodeIfPresent(Double.self, forKey: .busy) ?? 0
            stuckPower = try values.decodeIfPresent(Bool.self, forKey: .stuckPower) ?? false
            flappingPeriodMilliseconds = try values.decodeIfPresent(Int.self, forKey: .flappingPeriodMilliseconds)
            staleStatusMilliseconds = try values.decodeIfPresent(Int.self, forKey: .staleStatusMilliseconds)
            sessionTableFull = try values.decodeIfPresent(Bool.self, forKey: .sessionTableFull) ?? false
            credentialsRotated = try values.decodeIfPresent(Bool.self, forKey: .credentialsRotated) ?? false
            slowSessionSetupMilliseconds = try values.decodeIfPresent(Int.self, forKey: .slowSessionSetupMilliseconds) ?? 0
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

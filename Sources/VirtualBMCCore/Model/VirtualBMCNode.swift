import IPMI

/// One virtual BMC as a value: the RMCP+ session layer, the chassis, the faults and the counters. The fleet shell
/// owns thousands of these and drives each with datagrams and the time.
///
/// Pure and deterministic: time is a `Duration` since the shell's epoch, and every random choice (session IDs, BMC
/// randoms, IVs, loss, busy, jitter) comes from the node's seed, so one seed and one input sequence give the same
/// replies, byte for byte, with the same delays.
///
/// How each `FaultSpec` field acts:
/// - `dead` and `packetLoss` drop an inbound datagram before the session layer sees it (counted as `dropped`);
/// - `latency`, `jitter` and, for Open Session and RAKP replies, `slowSessionSetup` make up `Reply.delay`;
/// - `busy` answers an in-session chassis command with C0 instead of running it (the handshake and Set Session
///   Privilege Level are not commands and are never busy);
/// - `stuckPower` answers Chassis Control with 00 and does nothing; the power button still works;
/// - `flappingPeriod` flips the power every period, the first flip one period after the fault is set;
/// - `staleStatus` makes Get Chassis Status report the power as it was that long ago;
/// - `sessionTableFull` and `credentialsRotated` change the session layer's configuration: Open Session gets RMCP+
///   status 01, and every login fails the way a wrong password does (RAKP2 AuthCode mismatch).
public struct VirtualBMCNode<Peer: Hashable & Sendable>: Sendable {
    /// A datagram to send back to the peer after `delay` (latency, jitter and slow set-up faults).
    public struct Reply: Sendable {
        public var bytes: [UInt8]
        public var delay: Duration

        public init(bytes: [UInt8], delay: Duration) {
            self.bytes = bytes
            self.delay = delay
        }
    }

    /// Sessions a virtual BMC holds at once, half-open ones included.
    public static var sessionTableSize: Int { 16 }

    public private(set) var spec: BMCSpec
    public private(set) var chassis: SimulatedChassis
    public private(set) var counters = BMCCounters()
    var machine: BMCStateMachine<Peer>
    /// Two independent streams of the seed: switching a fault on (which draws from `chance`) must not change the
    /// session IDs, BMC randoms and IVs drawn from `entropy`, nor the other way round.
    var entropy: SeededGenerator
    var chance: SeededGenerator
    /// The next flip of the flapping fault, when it is on.
    var nextFlip: Duration?

    public init(spec: BMCSpec, seed: UInt64, now: Duration) {
        var root = SeededGenerator(seed: seed)
        entropy = SeededGenerator(seed: root.next())
        chance = SeededGenerator(seed: root.next())
        let configuration = BMCConfiguration(
            users: Self.users(spec.users), guid: spec.guid, cipherSuites: spec.cipherSuites.compactMap(CipherSuite.init(id:)),
            maximumSessions: Self.sessionTableSize)
        machine = BMCStateMachine(configuration: configuration)
        chassis = SimulatedChassis(powerOn: spec.powerOn, guid: spec.guid, timings: spec.timings, now: now)
        var clean = spec
        clean.faults = .none
        self.spec = clean
        setFaults(spec.faults, now: now)
    }

    public var sessionCount: Int { machine.sessions.count }
    public var activeSessionCount: Int { machine.activeSessionCount }

    // MARK: Datagrams

    /// Handles one datagram: faults first (dead, loss), then the session layer, then the chassis. Returns the
    /// replies to send, usually none or one.
    public mutating func receive(_ datagram: [UInt8], from peer: Peer, now: Duration) -> [Reply] {
        counters.datagramsIn += 1
        advanceChassis(to: now)
        guard !spec.faults.dead, !chance.happens(spec.faults.packetLoss) else {
            counters.dropped += 1
            return []
        }
        let setupStep = RMCPPlusPeek.setupStep(datagram)
        let sessionsBefore = machine.sessions.count
        let activeBefore = setupStep == .rakp3 ? machine.activeSessionCount : 0
        let bytes: [UInt8]
        switch machine.receive(datagram, from: peer, now: now, entropy: &entropy) {
        case .reply(let reply):
            bytes = reply
        case .dispatch(let request):
            counters.commands += 1
            let response = execute(request.request, now: now)
            guard let sealed = machine.respond(to: request, with: response, entropy: &entropy) else {
                counters.ignored += 1
                return []
            }
            bytes = sealed
        case .ignored:
            counters.ignored += 1
            return []
        }
        if let setupStep {
            let refused = (RMCPPlusPeek.setupStatus(bytes) ?? 0) != 0
            if refused { counters.setupRefusals += 1 }
            switch setupStep {
            case .openSessionRequest:
                // Open Session sweeps the table first; whatever went besides the new row was expired.
                counters.sessionsExpired += max(0, sessionsBefore + (refused ? 0 : 1) - machine.sessions.count)
            case .rakp3 where machine.activeSessionCount > activeBefore:
                counters.sessionsOpened += 1
            default:
                break
            }
        }
        counters.datagramsOut += 1
        return [Reply(bytes: bytes, delay: replyDelay(sessionSetup: setupStep != nil))]
    }

    /// Runs an in-session command against the chassis, through the command faults.
    private mutating func execute(_ request: IPMIRequest, now: Duration) -> IPMIResponse {
        let faults = spec.faults
        if chance.happens(faults.busy) {
            counters.busyReplies += 1
            return .error(.nodeBusy)
        }
        switch (request.netFn, request.command) {
        case (NetFn.chassis, ChassisControl.command) where faults.stuckPower:
            guard (try? ChassisControl(data: request.data)) != nil else { return .error(.invalidDataField) }
            counters.stuckControls += 1
            return IPMIResponse()
        case (NetFn.chassis, GetChassisStatus.command):
            if let lag = faults.staleStatus { return chassis.status(asOf: now - lag) }
        default:
            break
        }
        return chassis.handle(request, now: now)
    }

    private mutating func replyDelay(sessionSetup: Bool) -> Duration {
        let faults = spec.faults
        var delay = faults.latency + chance.duration(below: faults.jitter)
        if sessionSetup { delay += faults.slowSessionSetup }
        return delay
    }

    // MARK: Faults

    /// Switches faults at run time. Packet, command and delay faults act from the next datagram; the session-table
    /// and credential faults change the session layer's configuration (sessions already open stay open); flapping
    /// starts one period from `now`.
    public mutating func setFaults(_ faults: FaultSpec, now: Duration) {
        advanceChassis(to: now)  // flips due under the old faults happen first
        let old = spec.faults
        spec.faults = faults
        apply(faults, replacing: old, now: now)
    }

    public mutating func clearFaults(now: Duration) {
        setFaults(.none, now: now)
    }

    // MARK: Time and out-of-band events

    /// Completes due power transitions, flips flapping power and expires idle or half-open sessions. The shell
    /// calls it about once a second and before reading state.
    public mutating func advance(to now: Duration) {
        advanceChassis(to: now)
        counters.sessionsExpired += machine.expireSessions(now: now).count
    }

    public mutating func pressPowerButton(now: Duration) {
        advanceChassis(to: now)
        chassis.pressPowerButton(now: now)
    }

    /// Brings the chassis to `now`, flipping power at each flapping instant on the way, in time order.
    mutating func advanceChassis(to now: Duration) {
        if var next = nextFlip, let flapping = spec.faults.flappingPeriod {
            // Nanosecond resolution keeps the flip count exact integer arithmetic.
            let periodNanoseconds = max(1, flapping.wholeNanoseconds)
            let period = Duration.nanoseconds(periodNanoseconds)
            let due = next <= now ? (now - next).wholeNanoseconds / periodNanoseconds + 1 : 0
            // Far behind (the shell did not call for a long time): skip an even number of flips, which change
            // nothing, so the work and the power history stay bounded.
            let skipped = due > Int64(PowerHistory.limit) ? (due - Int64(PowerHistory.limit)) & ~1 : 0
            next += period * skipped
            counters.flaps += Int(skipped)
            while next <= now {
                chassis.flipPower(at: next)
                counters.flaps += 1
                next += period
            }
            nextFlip = next
        }
        chassis.advance(to: now)
    }

    static func users(_ users: [UserSpec]) -> [BMCUser] {
        users.map { BMCUser(name: $0.name, password: $0.password, maximumPrivilege: $0.privilege) }
    }
}

import ControllerCore

/// Builders shared by the suites: a configured node and a virtual-time BMC to drive action machines against.
extension Node {
    static func fixture(
        id: String = "node-1",
        power: PowerState? = .powerOn,
        provision: ProvisionState = .active,
        instance: String? = "inst-1",
        maintenance: Bool = false,
        fault: NodeFault? = nil
    ) -> Node {
        Node(
            id: id,
            name: id,
            driverInfo: DriverInfo(ipmiAddress: "10.0.0.1", ipmiUsername: "admin", ipmiPassword: "hunter2"),
            powerState: power,
            provisionState: provision,
            maintenance: maintenance,
            fault: fault,
            instanceUUID: instance,
            createdAt: .epoch
        )
    }
}

/// A chassis answering in virtual time: a command takes effect `delay` later, or never when `stuck`.
struct VirtualBMC {
    var state: PowerState
    var delay: Duration = .seconds(3)
    var stuck = false
    var commandFailure: String?
    var readFailure: String?
    private(set) var pending: (at: Duration, to: PowerState)?

    init(state: PowerState) { self.state = state }

    mutating func command(_ kind: ChassisControlKind, now: Duration) {
        guard !stuck else { return }
        switch kind {
        case .powerUp: pending = (now + delay, .powerOn)
        case .powerDown, .softShutdown: pending = (now + delay, .powerOff)
        case .powerCycle, .hardReset: pending = (now + delay, .powerOn)
        }
    }

    mutating func read(now: Duration) -> PowerState {
        if let change = pending, change.at <= now {
            state = change.to
            pending = nil
        }
        return state
    }
}

/// What running one action produced.
struct ActionRun {
    var result: PowerActionResult?
    var commands: [ChassisControlKind] = []
    var reads = 0
    var elapsed: Duration = .zero
}

/// Drives the machine to completion; virtual time only advances on `.startTimer`.
func run(_ machine: inout PowerActionMachine, on bmc: inout VirtualBMC) -> ActionRun {
    var report = ActionRun()
    var events: [PowerActionMachine.Event] = [.start]
    while !events.isEmpty, report.result == nil {
        for action in machine.handle(events.removeFirst()) {
            switch action {
            case .sendChassisControl(let kind):
                report.commands.append(kind)
                if let failure = bmc.commandFailure {
                    events.append(.commandFailed(failure))
                } else {
                    bmc.command(kind, now: report.elapsed)
                    events.append(.commandAccepted)
                }
            case .readPowerState:
                report.reads += 1
                if let failure = bmc.readFailure {
                    events.append(.readFailed(failure))
                } else {
                    events.append(.powerStateRead(bmc.read(now: report.elapsed)))
                }
            case .startTimer(let token, let after):
                report.elapsed += after
                events.append(.timerFired(token))
            case .finish(let result):
                report.result = result
            }
        }
    }
    return report
}

func run(_ action: PowerAction, on bmc: inout VirtualBMC, timeout: Duration? = nil) -> ActionRun {
    var machine = PowerActionMachine(action: action, timeout: timeout)
    return run(&machine, on: &bmc)
}

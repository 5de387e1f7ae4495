import ControllerCore
import Testing

/// Every action kind against a virtual-time BMC: commands sent, confirmation by read-back, timeouts.
@Suite struct PowerActionMachineTests {
    @Test func powerOnSendsPowerUpAndConfirms() {
        var bmc = VirtualBMC(state: .powerOff)
        let run = run(.powerOn, on: &bmc)
        #expect(run.result == .succeeded(.powerOn))
        #expect(run.commands == [.powerUp])
        #expect(bmc.state == .powerOn)
        // Polls at 1 s, then 1.5 s: the state changed at 3 s, seen at 1 + 1.5 + 2.25 = 4.75 s.
        #expect(run.elapsed == .milliseconds(4750))
    }

    @Test func powerOffSendsPowerDown() {
        var bmc = VirtualBMC(state: .powerOn)
        let run = run(.powerOff, on: &bmc)
        #expect(run.result == .succeeded(.powerOff))
        #expect(run.commands == [.powerDown])
    }

    @Test(arguments: [(PowerAction.powerOn, PowerState.powerOn), (.powerOff, .powerOff), (.softPowerOff, .powerOff)])
    func alreadyInStateSendsNoCommand(action: PowerAction, state: PowerState) {
        var bmc = VirtualBMC(state: state)
        let run = run(action, on: &bmc)
        #expect(run.result == .alreadyInState(state))
        #expect(run.commands.isEmpty)
        #expect(run.reads == 1)
    }

    @Test func softPowerOffUsesACPIAndTheLongTimeout() {
        var bmc = VirtualBMC(state: .powerOn)
        bmc.delay = .seconds(120)  // longer than power_state_change_timeout: an OS shutting down
        let run = run(.softPowerOff, on: &bmc)
        #expect(run.result == .succeeded(.powerOff))
        #expect(run.commands == [.softShutdown])
        #expect(PowerActionMachine(action: .softPowerOff).timeout == .seconds(600))
    }

    @Test func rebootIsOffThenOnNeverPowerCycle() {
        var bmc = VirtualBMC(state: .powerOn)
        let run = run(.rebooting, on: &bmc)
        #expect(run.result == .succeeded(.powerOn))
        #expect(run.commands == [.powerDown, .powerUp])
    }

    @Test func rebootOfAnOffNodeSkipsTheOff() {
        var bmc = VirtualBMC(state: .powerOff)
        let run = run(.rebooting, on: &bmc)
        #expect(run.result == .succeeded(.powerOn))
        #expect(run.commands == [.powerUp])
    }

    @Test func softRebootIsACPIOffThenOnWithoutAnInitialRead() {
        var bmc = VirtualBMC(state: .powerOff)
        var machine = PowerActionMachine(action: .softRebooting)
        #expect(machine.handle(.start) == [.sendChassisControl(.softShutdown)], "never skipped (P5)")
        var fresh = PowerActionMachine(action: .softRebooting)
        let run = run(&fresh, on: &bmc)
        #expect(run.result == .succeeded(.powerOn))
        #expect(run.commands == [.softShutdown, .powerUp])
    }

    @Test(arguments: [PowerAction.powerOn, .powerOff, .rebooting])
    func hardActionsTimeOutAfterSixtySecondsOfWaiting(action: PowerAction) {
        var bmc = VirtualBMC(state: action == .powerOff ? .powerOn : .powerOff)
        if action == .rebooting { bmc.state = .powerOn }
        bmc.stuck = true
        let run = run(action, on: &bmc)
        let waited: PowerState = action == .powerOn ? .powerOn : .powerOff
        #expect(run.result == .failed("Failed to set node power state to \(waited)."))
        #expect(run.elapsed == .seconds(60), "the last poll lands exactly on the timeout")
    }

    @Test(arguments: [PowerAction.softPowerOff, .softRebooting])
    func softActionsTimeOutAfterSixHundredSeconds(action: PowerAction) {
        var bmc = VirtualBMC(state: .powerOn)
        bmc.stuck = true
        let run = run(action, on: &bmc)
        #expect(run.result == .failed("Failed to set node power state to power off."))
        #expect(run.elapsed == .seconds(600))
    }

    @Test func anExplicitTimeoutAppliesToEachHalfOfAReboot() {
        var bmc = VirtualBMC(state: .powerOn)
        bmc.delay = .seconds(8)
        let run = run(.rebooting, on: &bmc, timeout: .seconds(10))
        #expect(run.result == .succeeded(.powerOn), "8 s per half fits 10 s each, not 10 s in total")
        #expect(run.elapsed > .seconds(10))
    }

    @Test func pollsBackOffUpToTheCap() {
        var machine = PowerActionMachine(action: .powerOn)
        _ = machine.handle(.start)
        _ = machine.handle(.powerStateRead(.powerOff))
        var delays: [Duration] = []
        var actions = machine.handle(.commandAccepted)
        for _ in 0..<8 {
            guard case .startTimer(let token, let after) = actions.first else { break }
            delays.append(after)
            _ = machine.handle(.timerFired(token))
            actions = machine.handle(.powerStateRead(.powerOff))
        }
        #expect(delays.map { $0 / .milliseconds(1) } == [1000, 1500, 2250, 3375, 5062.5, 7593.75, 10000, 10000])
    }

    @Test func staleAndDuplicateEventsAreIgnored() {
        var machine = PowerActionMachine(action: .powerOff)
        _ = machine.handle(.start)
        _ = machine.handle(.powerStateRead(.powerOn))
        guard case .startTimer(let token, _) = machine.handle(.commandAccepted).first else {
            Issue.record("expected a poll timer")
            return
        }
        #expect(machine.handle(.commandAccepted).isEmpty)
        #expect(machine.handle(.timerFired(token)) == [.readPowerState])
        #expect(machine.handle(.timerFired(token)).isEmpty, "a fired token is spent")
        #expect(machine.handle(.powerStateRead(.powerOff)) == [.finish(.succeeded(.powerOff))])
        #expect(machine.isFinished)
        #expect(machine.handle(.powerStateRead(.powerOff)).isEmpty)
    }

    @Test func aFailedCommandFailsWithIronicsText() {
        var bmc = VirtualBMC(state: .powerOff)
        bmc.commandFailure = "no response"
        let run = run(.powerOn, on: &bmc)
        #expect(run.result == .failed("IPMI call failed: power on. no response"))
    }

    @Test func aFailedReadAbortsAtOnce() {
        var bmc = VirtualBMC(state: .powerOff)
        bmc.readFailure = "session expired"
        let run = run(.powerOn, on: &bmc)
        #expect(run.result == .failed("session expired"))
        #expect(run.reads == 1)
        #expect(run.commands.isEmpty)
    }

    @Test func targetsFollowIronic() {
        #expect(PowerAction.allCases.map(\.targetState) == [.powerOn, .powerOff, .powerOn, .powerOff, .powerOn])
        #expect(
            PowerAction.allCases.map(\.rawValue)
                == ["power on", "power off", "rebooting", "soft power off", "soft rebooting"]
        )
        #expect(PowerState.allCases.map(\.rawValue) == ["power on", "power off", "error"])
    }
}

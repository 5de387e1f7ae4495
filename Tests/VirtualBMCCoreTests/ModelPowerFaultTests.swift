import IPMI
import Testing
import VirtualBMCCore

/// Faults of the power state itself: stuck, flapping and stale, seen through a real console session.
@Suite struct ModelPowerFaultTests {
    @Test func stuckPowerAcceptsChassisControlAndChangesNothing() throws {
        var bench = Bench(spec: .fixture(faults: FaultSpec(stuckPower: true)))
        #expect(bench.establish() != nil)
        #expect(bench.run(ChassisControl.powerUp.request)?.completionCode == .ok)
        bench.now += .seconds(30)  // well past any transition, within the session's idle timeout
        bench.node.advance(to: bench.now)
        #expect(bench.powerIsOn() == false)
        #expect(bench.node.counters.stuckControls == 1)
        #expect(bench.node.chassis.controlHistory.isEmpty)
        #expect(bench.run(ChassisControl(rawValue: 1)!.request.with(data: [0x0E]))?.completionCode == .invalidDataField)

        bench.node.clearFaults(now: bench.now)
        #expect(bench.run(ChassisControl.powerUp.request)?.completionCode == .ok)
        #expect(bench.powerIsOn() == true)
    }

    @Test func flappingPowerTogglesEveryPeriod() {
        var node = Node(spec: .fixture(), seed: 3, now: .seconds(100))
        node.setFaults(FaultSpec(flappingPeriod: .seconds(10)), now: .seconds(100))
        node.advance(to: .ms(109_999))
        #expect(!node.chassis.powerOn)
        node.advance(to: .seconds(110))
        #expect(node.chassis.powerOn)
        node.advance(to: .ms(125_000))
        #expect(!node.chassis.powerOn)
        #expect(node.counters.flaps == 2)
        #expect(node.chassis.recentPowerChanges.map(\.at) == [.seconds(110), .seconds(120)])
    }

    @Test func flappingCatchesUpInBoundedWorkAfterALongGap() {
        var node = Node(spec: .fixture(), seed: 3, now: .zero)
        node.setFaults(FaultSpec(flappingPeriod: .ms(10)), now: .zero)
        node.advance(to: .seconds(3600) + .ms(5))  // 360,000 flips: an even number
        #expect(node.counters.flaps == 360_000)
        #expect(!node.chassis.powerOn)
        #expect(node.chassis.recentPowerChanges.last?.at == .seconds(3600))
        node.clearFaults(now: .seconds(3601))
        node.advance(to: .seconds(7200))
        #expect(node.counters.flaps == 360_100, "flips stop when the fault is cleared")
    }

    @Test func staleStatusLagsBehindTheTruePowerState() {
        var bench = Bench(spec: .fixture(faults: FaultSpec(staleStatus: .seconds(5))))
        #expect(bench.establish() != nil)
        let poweredAt = bench.now
        #expect(bench.run(ChassisControl.powerUp.request)?.completionCode == .ok)
        #expect(bench.node.chassis.powerOn)
        bench.now = poweredAt + .seconds(4)
        #expect(bench.powerIsOn() == false, "still reporting the state of 5 s ago")
        #expect(bench.node.snapshot(now: bench.now).reportedPowerOn == false)
        bench.now = poweredAt + .seconds(5)
        #expect(bench.powerIsOn() == true)
        bench.node.clearFaults(now: bench.now)
        _ = bench.run(ChassisControl.powerDown.request)
        #expect(bench.powerIsOn() == false, "fresh again once cleared")
    }

    @Test func theButtonStillWorksAndFlapsCanBeNoticedByPolling() {
        var node = Node(spec: .fixture(timings: ChassisTimings(powerTransition: .seconds(1))), seed: 3, now: .zero)
        node.pressPowerButton(now: .zero)
        #expect(node.snapshot(now: .ms(500)).pendingTransition?.kind == .powerButton)
        #expect(node.snapshot(now: .seconds(1)).powerOn)
        #expect(!node.chassis.powerOn, "a snapshot does not change the node")
        node.advance(to: .seconds(1))
        #expect(node.chassis.powerOn && node.chassis.buttonPresses == 1)
    }
}

extension IPMIRequest {
    func with(data: [UInt8]) -> IPMIRequest { IPMIRequest(netFn: netFn, command: command, data: data) }
}

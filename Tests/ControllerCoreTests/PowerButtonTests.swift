import ControllerCore
import Testing

/// A power-button press seen by the next pass, end to end through the pure pieces.
@Suite struct PowerButtonTests {
    let at = Timestamp(sinceEpoch: .seconds(240))

    @Test func withForceTheSyncPowersTheNodeBackOn() throws {
        var node = Node.fixture(power: .powerOn)
        var bmc = VirtualBMC(state: .powerOff)  // someone pressed the button
        let outcome = PowerSync.decide(
            node: node,
            reading: .state(bmc.read(now: .zero)),
            failureCount: 0,
            configuration: PowerSyncConfiguration()
        )
        guard case .driveHardware(let action) = outcome.decision else {
            Issue.record("expected the hardware to be driven back, got \(outcome.decision)")
            return
        }
        try node.beginPowerAction(action, origin: .sync, at: at)
        var machine = PowerActionMachine(action: action)
        let run = run(&machine, on: &bmc)
        let written = node.completePowerAction(action, result: try #require(run.result), at: at + run.elapsed)
        #expect(bmc.state == .powerOn && node.powerState == .powerOn && node.targetPowerState == nil)
        #expect(written.novaEvent?.tag == .powerOn, "Ironic notifies on the forced action's success too")
        // Next pass: in sync, count back to zero.
        #expect(
            PowerSync.decide(
                node: node,
                reading: .state(.powerOn),
                failureCount: outcome.failureCount,
                configuration: PowerSyncConfiguration()
            ).failureCount == 0
        )
    }

    @Test func withoutForceTheSyncRecordsTheOffAndTellsNova() {
        var node = Node.fixture(power: .powerOn)
        let config = PowerSyncConfiguration(forcePowerStateDuringSync: false)
        let outcome = PowerSync.decide(node: node, reading: .state(.powerOff), failureCount: 0, configuration: config)
        let written = node.applySync(outcome.decision, at: at)
        #expect(node.powerState == .powerOff)
        #expect(written.novaEvent == NovaPowerUpdate(serverUUID: "inst-1", tag: .powerOff, at: at))
    }
}

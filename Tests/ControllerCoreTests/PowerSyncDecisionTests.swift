import ControllerCore
import Testing

/// Every row of Ironic's `do_sync_power_state` decision table (ironic.md §3), for both values of force.
@Suite struct PowerSyncDecisionTests {
    let force = PowerSyncConfiguration()
    let record = PowerSyncConfiguration(forcePowerStateDuringSync: false)
    let now = Timestamp(sinceEpoch: .seconds(500))

    func decide(_ node: Node, _ reading: PowerReading, count: Int = 0, _ config: PowerSyncConfiguration)
        -> PowerSyncOutcome
    {
        PowerSync.decide(node: node, reading: reading, failureCount: count, configuration: config)
    }

    @Test func defaultsAreIronics() {
        #expect(force.syncPowerStateInterval == .seconds(120))
        #expect(force.forcePowerStateDuringSync)
        #expect(force.powerStateSyncMaxRetries == 3)
        #expect(force.powerFailureRecoveryInterval == .seconds(300))
        let action = PowerActionConfiguration()
        #expect(action.powerStateChangeTimeout == .seconds(60))
        #expect(action.softPowerOffTimeout == .seconds(600))
    }

    @Test(arguments: [true, false])
    func aFailedReadWithinRetriesIsOnlyCounted(forced: Bool) {
        let config = forced ? force : record
        var node = Node.fixture()
        for count in 0..<3 {
            let outcome = decide(node, .failed("timeout"), count: count, config)
            #expect(outcome == PowerSyncOutcome(decision: .countFailure(reason: "timeout"), failureCount: count + 1))
            #expect(node.applySync(outcome.decision, at: now) == .nothing)
        }
        #expect(node == .fixture(), "nothing is written, not even last_error")
    }

    @Test(arguments: [true, false])
    func anErrorReadingCountsAsAFailure(forced: Bool) {
        let outcome = decide(.fixture(), .state(.error), count: 1, forced ? force : record)
        #expect(outcome.failureCount == 2)
        guard case .countFailure = outcome.decision else {
            Issue.record("expected a counted failure, got \(outcome.decision)")
            return
        }
    }

    @Test(arguments: [true, false])
    func theFourthFailureEntersMaintenanceWithUnknownState(forced: Bool) {
        var node = Node.fixture()
        let outcome = decide(node, .failed("no answer"), count: 3, forced ? force : record)
        guard case .enterMaintenance(let state, let message) = outcome.decision else {
            Issue.record("expected maintenance, got \(outcome.decision)")
            return
        }
        #expect(state == nil)
        #expect(message.hasSuffix("Switching node to maintenance mode. Error: no answer"))
        #expect(outcome.failureCount == 4)
        let written = node.applySync(outcome.decision, at: now)
        #expect(node.maintenance && node.fault == .powerFailure)
        #expect(node.maintenanceReason == message && node.lastError == message)
        #expect(node.powerState == nil)
        #expect(written.change?.to == nil)
        #expect(written.novaEvent == nil, "None is never sent to Nova")
    }

    @Test func anErrorReadingAtMaxRetriesRecordsError() {
        var node = Node.fixture()
        let outcome = decide(node, .state(.error), count: 3, force)
        #expect(outcome.decision == .enterMaintenance(recordedState: .error, message: outcome.message))
        #expect(node.applySync(outcome.decision, at: now).novaEvent == nil)
        #expect(node.powerState == .error)
    }

    @Test(arguments: [true, false])
    func aMatchResetsTheCountAndClearsAStaleError(forced: Bool) {
        var node = Node.fixture()
        node.lastError = "stale"
        let outcome = decide(node, .state(.powerOn), count: 2, forced ? force : record)
        #expect(outcome == PowerSyncOutcome(decision: .inSync, failureCount: 0))
        #expect(node.applySync(outcome.decision, at: now) == .nothing)
        #expect(node.lastError == nil)
    }

    @Test(arguments: [true, false])
    func anUnknownRecordIsFilledInNeverForced(forced: Bool) {
        var node = Node.fixture(power: nil)
        node.lastError = "stale"
        let outcome = decide(node, .state(.powerOff), count: 2, forced ? force : record)
        #expect(outcome == PowerSyncOutcome(decision: .recordHardwareState(.powerOff), failureCount: 0))
        let written = node.applySync(outcome.decision, at: now)
        #expect(node.powerState == .powerOff && node.lastError == nil)
        #expect(written.novaEvent == NovaPowerUpdate(serverUUID: "inst-1", tag: .powerOff, at: now))
    }

    @Test func aMismatchWithForceDrivesTheHardwareBack() {
        var node = Node.fixture(power: .powerOn)
        let outcome = decide(node, .state(.powerOff), count: 0, force)
        #expect(outcome == PowerSyncOutcome(decision: .driveHardware(.powerOn), failureCount: 1))
        #expect(node.applySync(outcome.decision, at: now) == .nothing, "the action writes, on success")
        #expect(node.powerState == .powerOn)
    }

    @Test func aMismatchWithoutForceRecordsTheHardware() {
        var node = Node.fixture(power: .powerOn)
        node.lastError = "kept"
        let outcome = decide(node, .state(.powerOff), count: 0, record)
        #expect(outcome == PowerSyncOutcome(decision: .recordHardwareState(.powerOff), failureCount: 1))
        let written = node.applySync(outcome.decision, at: now)
        #expect(node.powerState == .powerOff)
        #expect(node.lastError == "kept", "D8 does not clear last_error")
        #expect(written.change?.cause == .syncRecorded)
        #expect(written.novaEvent?.tag == .powerOff)
    }

    @Test(arguments: [true, false])
    func aMismatchPastMaxRetriesRecordsHardwareAndEntersMaintenance(forced: Bool) {
        var node = Node.fixture(power: .powerOn)
        let outcome = decide(node, .state(.powerOff), count: 3, forced ? force : record)
        guard case .enterMaintenance(.powerOff, let message) = outcome.decision else {
            Issue.record("expected maintenance, got \(outcome.decision)")
            return
        }
        #expect(message.contains("node state power off does not match expected state 'power on'"))
        let written = node.applySync(outcome.decision, at: now)
        #expect(node.powerState == .powerOff && node.maintenance && node.fault == .powerFailure)
        #expect(written.novaEvent?.tag == .powerOff)
    }

    @Test func maxRetriesOfOneForcesOnceThenMaintenance() {
        // Ironic's test_max_retries_exceeded: with max=1 there is 1 forced action, maintenance at count 2.
        let config = PowerSyncConfiguration(powerStateSyncMaxRetries: 1)
        let node = Node.fixture(power: .powerOn)
        let first = decide(node, .state(.powerOff), count: 0, config)
        #expect(first.decision == .driveHardware(.powerOn))
        let second = decide(node, .state(.powerOff), count: first.failureCount, config)
        #expect(second.failureCount == 2)
        #expect(second.decision == .enterMaintenance(recordedState: .powerOff, message: second.message))
    }

    @Test func noInstanceMeansNoNovaEvent() {
        var node = Node.fixture(power: .powerOn, instance: nil)
        let outcome = decide(node, .state(.powerOff), count: 0, record)
        #expect(node.applySync(outcome.decision, at: now).novaEvent == nil)
        #expect(node.powerState == .powerOff)
    }
}

extension PowerSyncOutcome {
    /// The maintenance message, so tests can compare whole decisions.
    var message: String {
        if case .enterMaintenance(_, let message) = decision { return message }
        return ""
    }
}

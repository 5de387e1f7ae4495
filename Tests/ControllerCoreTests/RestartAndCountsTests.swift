import ControllerCore
import Testing

@Suite struct RestartAndCountsTests {
    @Test func aRestartReleasesInFlightActionsWithIronicsMessage() throws {
        var busy = Node.fixture()
        try busy.beginPowerAction(.rebooting, at: .epoch)
        let restart = Timestamp(sinceEpoch: .seconds(7))
        let aborted = busy.abortPendingPowerAction(at: restart)
        #expect(aborted)
        #expect(busy.targetPowerState == nil && busy.updatedAt == restart)
        #expect(busy.lastError == "Pending power operation was aborted due to conductor restart")
        var idle = Node.fixture()
        let abortedIdle = idle.abortPendingPowerAction(at: restart)
        #expect(!abortedIdle)
        #expect(idle == .fixture())
    }

    @Test func countsKeepOnlyFailingNodes() {
        var counts = PowerSyncFailureCounts(["gone": 2, "zero": 0])
        #expect(counts.counts == ["gone": 2])
        counts.record(PowerSyncOutcome(decision: .countFailure(reason: "x"), failureCount: 1), for: "a")
        counts.record(PowerSyncOutcome(decision: .inSync, failureCount: 0), for: "gone")
        #expect(counts["a"] == 1 && counts["gone"] == 0)
        counts.record(PowerSyncOutcome(decision: .countFailure(reason: "x"), failureCount: 2), for: "b")
        counts.retain(only: ["b"])
        #expect(counts.counts == ["b": 2])
    }
}

import ControllerCore
import Testing

@Suite struct PowerSyncPassRunnerTests {
    func plan(_ ids: [String]) -> PowerSyncPassPlan {
        PowerSyncPassPlan.sync(nodes: ids.map { Node.fixture(id: $0) }, failureCounts: [:])
    }

    let failed = PowerSyncOutcome(decision: .countFailure(reason: "timeout"), failureCount: 1)
    let fine = PowerSyncOutcome(decision: .inSync, failureCount: 0)

    @Test func neverMoreThanTheLimitInFlight() {
        var runner = PowerSyncPassRunner(
            plan: plan(["a", "b", "c", "d"]),
            failureCounts: .init(["b": 2]),
            concurrencyLimit: 2
        )
        #expect(runner.handle(.start) == [.syncNode("a"), .syncNode("b")])
        #expect(runner.handle(.start).isEmpty)
        #expect(runner.handle(.nodeFinished("b", fine)) == [.syncNode("c")])
        #expect(runner.handle(.nodeFinished("b", fine)).isEmpty, "a duplicate report dispatches nothing")
        #expect(runner.handle(.nodeFinished("a", failed)) == [.syncNode("d")])
        #expect(runner.handle(.nodeFinished("c", nil)).isEmpty)
        #expect(runner.handle(.nodeFinished("d", fine)) == [.passComplete(PowerSyncFailureCounts(["a": 1]))])
        #expect(runner.isComplete)
    }

    @Test func anEmptyPassCompletesAtOnce() {
        var runner = PowerSyncPassRunner(plan: plan([]), failureCounts: .init(), concurrencyLimit: 8)
        #expect(runner.handle(.start) == [.passComplete(PowerSyncFailureCounts())])
    }

    @Test func shutdownWaitsForNodesInFlightOnly() {
        var runner = PowerSyncPassRunner(plan: plan(["a", "b", "c"]), failureCounts: .init(), concurrencyLimit: 1)
        #expect(runner.handle(.start) == [.syncNode("a")])
        #expect(runner.handle(.shutdown).isEmpty)
        #expect(runner.handle(.nodeFinished("a", failed)) == [.passComplete(PowerSyncFailureCounts(["a": 1]))])
        var idle = PowerSyncPassRunner(plan: plan(["a"]), failureCounts: .init(), concurrencyLimit: 0)
        #expect(idle.handle(.shutdown) == [.passComplete(PowerSyncFailureCounts())])
    }
}

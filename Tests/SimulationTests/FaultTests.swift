import IPMI
import Simulation
import Testing

/// The safety property under every fault: a request either gets its right answer, or the session fails with a
/// typed timeout; and a Chassis Control runs at most once per request, however often it was retransmitted.
@Suite struct FaultTests {
    static let seeds: ClosedRange<UInt64> = 1...50

    /// Checks one finished run; returns whether every request got its right answer.
    @discardableResult
    static func checkSafety(_ harness: BackToBackHarness, _ tokens: [(RequestToken, Workload.Expected)],
                            seed: UInt64) -> Bool {
        var succeeded: [ChassisControl] = []
        for (index, (token, expected)) in tokens.enumerated() {
            switch harness.result(for: token) {
            case .success(let response):
                #expect(Workload.isRight(response, expected), "seed \(seed): step \(index) got \(response)")
                let request = Workload.steps[index].0
                if request.netFn == NetFn.chassis, request.command == ChassisControl.command,
                   let control = try? ChassisControl(data: request.data) {
                    succeeded.append(control)
                }
            case .failure(let error):
                #expect(error.isTimeout, "seed \(seed): step \(index) failed with \(error)")
                let failure = harness.failure
                #expect(failure?.isTimeout == true, "seed \(seed): session ended with \(String(describing: failure))")
            case nil:
                Issue.record("seed \(seed): step \(index) never completed")
            }
        }
        // Executed: every acknowledged control, plus at most the one whose answer never came back.
        let history = harness.chassis.controlHistory
        #expect(Array(history.prefix(succeeded.count)) == succeeded, "seed \(seed): history \(history)")
        #expect(history.count <= succeeded.count + 1, "seed \(seed): history \(history)")
        #expect(history == Array(Workload.controls.prefix(history.count)), "seed \(seed): history \(history)")
        return Workload.allRight(harness, tokens)
    }

    @Test func heavyLossNeverGivesAWrongAnswer() {
        var completed = 0
        var timedOut = 0
        for seed in Self.seeds {
            var harness = Fixture.harness(seed: seed, faults: LinkFaults(dropProbability: 0.3))
            let tokens = Workload.run(&harness)
            if Self.checkSafety(harness, tokens, seed: seed) { completed += 1 }
            if harness.failure?.isTimeout == true { timedOut += 1 }
        }
        // Not a liveness requirement at 30% loss, but both outcomes must occur or the test proves little.
        #expect(completed > 0)
        #expect(timedOut > 0)
    }

    @Test func moderateLossMostlyCompletes() {
        var completed = 0
        for seed in Self.seeds {
            var harness = Fixture.harness(seed: seed, faults: LinkFaults(dropProbability: 0.1))
            let tokens = Workload.run(&harness)
            if Self.checkSafety(harness, tokens, seed: seed) { completed += 1 }
        }
        // A lost handshake message restarts the whole handshake, so 10% loss still costs a run now and then.
        #expect(completed >= 45, "only \(completed) of \(Self.seeds.count) runs completed at 10% loss")
    }

    @Test func aLostAnswerIsRetransmittedAndAnsweredFromTheCacheNotRerun() throws {
        var harness = Fixture.harness(seed: 5, suite: 17)
        let summary = harness.establish()
        try #require(summary != nil)
        #expect(try harness.answer(ChassisControl.powerUp.request).completionCode == .ok)

        harness.network.dropNext(1, on: BackToBackHarness.linkToConsole)
        let sentBefore = harness.network.statistics(on: BackToBackHarness.linkToBMC).sent
        let started = harness.now
        let cycle = try harness.answer(ChassisControl.powerCycle.request)
        #expect(cycle.completionCode == .ok)
        // Two sends of the request, one second apart (the retransmit interval), one execution.
        #expect(harness.network.statistics(on: BackToBackHarness.linkToBMC).sent - sentBefore == 2)
        #expect(harness.now - started >= .seconds(1))
        #expect(harness.chassis.controlHistory == [.powerUp, .powerCycle])
        #expect(harness.dispatches.count == 2)
    }

    @Test func duplicatesAreAllAnsweredAndEachRequestRunsOnce() {
        var runsWithReplays = 0
        for seed in Self.seeds {
            var harness = Fixture.harness(seed: seed, faults: LinkFaults(duplicateProbability: 0.5))
            let tokens = Workload.run(&harness)
            let allRight = Workload.allRight(harness, tokens)
            #expect(allRight, "seed \(seed): \(harness.completions)")
            #expect(harness.chassis.controlHistory == Workload.controls, "seed \(seed)")
            #expect(harness.dispatches.count == Workload.steps.count, "seed \(seed)")
            let closed = harness.isClosed
            #expect(closed, "seed \(seed)")
            let replays = harness.ignoredByBMC.filter { $0.reason == .replayed }.count
            if replays > 0 { runsWithReplays += 1 }
            // Duplicated Open Session requests leave half-open sessions behind; they expire, nothing else remains.
            harness.run(for: Fixture.bmc().setupTimeout + .seconds(1))
            #expect(harness.bmc.sessions.isEmpty, "seed \(seed)")
        }
        #expect(runsWithReplays >= 45)
    }

    @Test func lateDuplicatesOfHandshakeMessagesDoNotBreakTheSession() {
        // Jitter lets a duplicated RAKP1 or RAKP3 arrive after the session is up; neither may disturb it.
        for seed in Self.seeds {
            let faults = LinkFaults(jitter: .milliseconds(400), duplicateProbability: 0.5)
            var harness = Fixture.harness(seed: seed, faults: faults)
            let tokens = Workload.run(&harness)
            let allRight = Workload.allRight(harness, tokens)
            #expect(allRight, "seed \(seed): \(harness.completions)")
            #expect(harness.chassis.controlHistory == Workload.controls, "seed \(seed)")
        }
    }

    @Test func largeJitterReordersButEveryRequestIsAnsweredRightOnce() {
        var reordered = 0
        for seed in Self.seeds {
            // A jitter below the 1 s retransmit interval for the handshake (which restarts whole on a timeout) ...
            var harness = Fixture.harness(seed: seed, faults: LinkFaults(jitter: .milliseconds(450)))
            harness.start()
            harness.run(until: .seconds(120)) { $0.established != nil || $0.isFinished }
            #expect(harness.established != nil, "seed \(seed)")
            // ... then one well past it, so retransmits and answers overtake each other.
            let jitter = LinkFaults(jitter: .milliseconds(2500))
            harness.network.setFaults(jitter, on: BackToBackHarness.linkToBMC)
            harness.network.setFaults(jitter, on: BackToBackHarness.linkToConsole)
            let tokens = Workload.enqueue(&harness)
            Workload.finish(&harness, tokens)
            let allRight = Workload.allRight(harness, tokens)
            #expect(allRight, "seed \(seed): \(harness.completions)")
            #expect(harness.chassis.controlHistory == Workload.controls, "seed \(seed)")
            reordered += harness.network.statistics(on: BackToBackHarness.linkToBMC).reordered
                + harness.network.statistics(on: BackToBackHarness.linkToConsole).reordered
        }
        #expect(reordered > 50)
    }
}

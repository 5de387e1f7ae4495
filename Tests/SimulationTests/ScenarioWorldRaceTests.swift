import ControllerCore
import Simulation
import Testing

/// The seed race (nova.md §3.6, timeline A) run through the whole world: the controller's cores, the BMC model over
/// the simulated network, the notifier and the Nova model.
@Suite struct ScenarioWorldRaceTests {
    /// Node off, instance stopped/4. The operator powers the node on through the controller at 10 s; Nova's cache
    /// refresh and its sync land, with the seed, somewhere around the controller's save and the event's application.
    static func seedRace(novaSync: Bool = true, hold: Bool = false) -> Scenario {
        Scenario(
            name: "seed-race", summary: "operator power-on against Nova's periodic sync",
            fleet: [ScenarioNodeGroup(count: 1, powerOn: false)],
            network: ScenarioNetwork(latency: .milliseconds(1), jitter: .milliseconds(2)),
            controller: ScenarioController(holdPowerStateUntilApplied: hold),
            nova: ScenarioNova(syncInterval: novaSync ? .seconds(600) : nil, eventDelay: .milliseconds(500)),
            timeline: [
                ScenarioStep(at: .seconds(10), action: .powerAction(.all, .powerOn)),
                ScenarioStep(at: .milliseconds(10_800), action: .refreshNovaCache, jitter: .seconds(1)),
                ScenarioStep(at: .seconds(11), action: .runNovaSync, jitter: .seconds(1)),
            ],
            settle: .seconds(900))
    }

    static func run(_ scenario: Scenario, seed: UInt64) -> ScenarioRunResult {
        var world = ScenarioWorld(scenario: scenario, seed: seed)
        return world.run()
    }

    @Test func withoutTheMitigationSomeSeedsEndWithTheNodeOffAgainstTheOperator() {
        var undone = 0
        var held = 0
        for seed in UInt64(1)...40 {
            let result = Self.run(Self.seedRace(), seed: seed)
            if result.violated(.operatorIntentHolds) {
                undone += 1
                #expect(result.nodes[0].bmcPowerOn == false)
                #expect(result.trace.contains { $0.label.contains("Instance is not stopped. Calling the stop API") })
            } else {
                held += 1
                #expect(result.nodes[0].bmcPowerOn)
            }
        }
        #expect(undone > 0, "no seed hit the race")
        #expect(held > 0, "every seed hit the race: the scenario no longer explores interleavings")
    }

    /// The hold closes timeline A: Nova's sync never forces the node off before the event is applied. What it does
    /// not close (a finding of this engine): the hold outlives Nova's application of the event by up to one confirm
    /// interval, so a sync in that gap reads the held state from its cache, writes power_state 4, re-checks "fresh"
    /// (still held) and calls the stop API; Nova's view then never matches the hold's release rule and the next sync
    /// powers the node off. Marked as a known issue so the test fails once the gap is closed.
    @Test func withTheMitigationTheOnlyLossesComeFromTheConfirmGapAfterNovaApplied() {
        var lost: [UInt64] = []
        for seed in UInt64(1)...200 {
            let result = Self.run(Self.seedRace(hold: true), seed: seed)
            guard result.violated(.operatorIntentHolds) else {
                #expect(result.nodes[0].bmcPowerOn, "seed \(seed)")
                continue
            }
            lost.append(seed)
            let applied = result.trace.firstIndex { $0.label.contains("Power update called") }
            let stopped = result.trace.firstIndex {
                $0.label.contains("Instance is not stopped") || $0.label.contains("shutdown by itself")
            }
            #expect(applied != nil && stopped != nil && applied! < stopped!, "seed \(seed): timeline A despite the hold")
        }
        let sample = Self.run(Self.seedRace(hold: true), seed: 1)
        #expect(sample.trace.contains { $0.label.hasPrefix("hold released") })
        withKnownIssue("the hold outlives Nova's application of the event by up to one confirm interval") {
            #expect(lost.isEmpty, "\(lost.count) of 200 seeds lose the operator's power-on: \(lost.prefix(10))")
        }
    }

    @Test func withNovaSyncDisabledEverySeedPasses() {
        for seed in UInt64(1)...20 {
            let result = Self.run(Self.seedRace(novaSync: false), seed: seed)
            #expect(result.violations.isEmpty, "seed \(seed): \(result.violations.map(\.message))")
            #expect(result.nodes[0].bmcPowerOn)
            #expect(result.nodes[0].novaVMState == "active")
        }
    }

    @Test func theSameSeedGivesTheSameTraceByteForByte() {
        let first = Self.run(Self.seedRace(), seed: 7)
        let second = Self.run(Self.seedRace(), seed: 7)
        #expect(first.trace.count > 50)
        #expect(first.trace.map(\.jsonLine) == second.trace.map(\.jsonLine))
        #expect(first.counters == second.counters)
    }

    @Test func differentSeedsGiveDifferentTraces() {
        let traces = Set((UInt64(1)...5).map { Self.run(Self.seedRace(), seed: $0).traceText })
        #expect(traces.count == 5)
    }

    @Test func theTraceShowsTheWholeStory() {
        let result = Self.run(Self.seedRace(novaSync: false), seed: 3)
        let labels = result.trace.map(\.label)
        #expect(labels.contains("RAKP 1"))
        #expect(labels.contains("Get Chassis Status"))
        #expect(labels.contains("Chassis Control: power up"))
        #expect(result.trace.contains { $0.kind == .state && $0.lane == "bmc:node-0001" && $0.label == "power off → power on" })
        #expect(result.trace.contains { $0.kind == .send && $0.lane == "notifier" && $0.peer == "nova-api" })
        #expect(result.trace.contains { $0.lane == "nova-compute:compute-1" && $0.label.contains("POWER_ON") })
        // Time never runs backwards in the trace.
        #expect(zip(result.trace, result.trace.dropFirst()).allSatisfy { $0.at <= $1.at })
    }

    @Test func confirmingOnNovasReadReleasesAHoldBeforeAnswering() {
        let options = ScenarioWorldOptions(holdConfirmOnNovaRead: true)
        let released = (UInt64(1)...40).contains { seed in
            var world = ScenarioWorld(scenario: Self.seedRace(hold: true), seed: seed, options: options)
            return world.run().trace.contains { $0.label.hasPrefix("hold released on Nova's read") }
        }
        #expect(released)
    }

    @Test func pinnedSeedsMeetTheScenariosExpectation() {
        var race = Self.seedRace()
        race.expectation = .violates(.operatorIntentHolds)
        race.seeds = (UInt64(1)...40).filter { ScenarioWorld.run(race, seed: $0).violated(.operatorIntentHolds) }
        #expect(!race.seeds.isEmpty)
        #expect(race.seeds.allSatisfy { race.meetsExpectation(ScenarioWorld.run(race, seed: $0)) })
        let control = Self.seedRace(novaSync: false)
        #expect(control.meetsExpectation(ScenarioWorld.run(control, seed: race.seeds[0])))
        #expect(!race.meetsExpectation(ScenarioWorld.run(control, seed: race.seeds[0])))
    }
}

import ControllerCore
import Foundation
import Simulation

/// The scenario part of the demo: the race the original Ironic change admits, replayed in virtual time from seeds,
/// then closed by `[nova] hold_power_state_until_applied`. The scenario is embedded so the demo runs anywhere.
enum ScenarioDemo {
    static let seeds: ClosedRange<UInt64> = 1...200

    static func run(step: (String) -> Void) throws {
        let race = try ScenarioFileReader.read(seedRaceText, file: "seed-race (embedded)")
        var mitigated = race
        mitigated.controller.holdPowerStateUntilApplied = true
        step("Scenario 'seed-race' (nova.md timeline A): the operator powers a node on; Nova's cache refresh and "
            + "periodic sync fire around the same moment, jittered by the seed; virtual time, simulated network, no sockets")

        let started = ContinuousClock.now
        var undone: [UInt64] = []
        for seed in seeds where ScenarioWorld.run(race, seed: seed).violated(.operatorIntentHolds) { undone.append(seed) }
        let plainTime = ContinuousClock.now - started
        step("Without the mitigation: Nova undid the operator's power on in \(undone.count) of \(seeds.count) seeds "
            + "(\(plainTime.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))) wall for "
            + "\(seeds.count) runs of 11 virtual minutes)")
        if let first = undone.first {
            let result = ScenarioWorld.run(race, seed: first)
            let story = result.trace.filter { event in
                event.label.contains("Instance is not stopped") || event.label.contains("possibly preempted")
                    || event.label.contains("is a no-op") || (event.kind == .state && event.lane == "bmc:node-0001")
            }
            for event in story.prefix(5) {
                step("  seed \(first) at \(seconds(event.at)): \(event.lane): \(event.label)")
            }
            let same = ScenarioWorld.run(race, seed: first).traceText == result.traceText
            step("  seed \(first) again: \(same ? "byte-identical trace" : "DIFFERENT trace") (\(result.trace.count) lines)")
        }

        var lost = 0
        for seed in seeds where !ScenarioWorld.run(mitigated, seed: seed).passed { lost += 1 }
        step("With hold_power_state_until_applied: \(lost) of \(seeds.count) seeds violate any invariant "
            + "(Nova reads the state it last agreed with until it shows the event applied)")
    }

    private static func seconds(_ microseconds: Int64) -> String {
        String(format: "%.3f s", Double(microseconds) / 1_000_000)
    }

    /// The same content as scenarios/seed-race.yaml.
    static let seedRaceText = """
        summary: Timeline A - Nova's sync runs just before the POWER_ON event and powers the node back off
        fleet:
          - {prefix: node, count: 1, power: off, instances: true, nova_host: compute-1}
        controller: {sync_power_state_interval: 60s, hold_power_state_until_applied: false}
        nova: {sync_interval: 600s, cache_refresh_interval: 60s, event_delay: 500ms}
        timeline:
          - {at: 10s, action: power on, nodes: node-0001}
          - {at: 10.8s, jitter: 1s, action: nova cache refresh}
          - {at: 11s, jitter: 1s, action: nova sync}
        invariants: [operator-intent-holds, nova-agrees, every-change-settled, delivered-in-order]
        seeds: [2]
        settle: 11m
        expect: violates operator-intent-holds
        network: {latency: 1ms, jitter: 2ms}
        """
}

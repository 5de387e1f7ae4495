import Simulation
import Testing

/// nova.md §6 scripts A, B, C and Control against the pure nova-compute model, plus determinism by seed.
@Suite struct NovaComputeRaceTests {
    static let instance = "11111111-1111-4111-8111-111111111111"
    static let node = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"

    /// Timeline A/B up to the lock hand-over: stopped/4 and node off; operator powers on (saved), the cache is
    /// refreshed, the sync takes the lock and reads RUNNING, the POWER_ON event arrives and waits on the lock.
    static func raceUpToHandOver(_ arbitration: NovaCompute.LockArbitration, seed: UInt64 = 1) -> NovaComputeHarness {
        var harness = NovaComputeHarness(seed: seed) {
            $0.eventDelay = .milliseconds(10)
            $0.lockArbitration = arbitration
        }
        harness.add(instance, node: node, vmState: "stopped", power: 4)
        harness.send(.started)
        harness.advance(.seconds(10))
        harness.operatorPower(node, on: true, notify: false)  // t1: Ironic saved "power on"
        harness.send(.refreshCacheNow)  // t2: the cache sees it
        harness.send(.runSyncNow)  // t3: the worker holds nova-I, get_info from the cache → RUNNING
        harness.advance(.milliseconds(10))
        harness.notify(instance, "POWER_ON")  // t4/t5: snapshot S1 = stopped/4/None, action start
        harness.advance(.seconds(1))  // event handler waits; sync force-stops; the lock is handed over; stop runs
        return harness
    }

    @Test func timeline_A_sync_wins_the_operators_power_on_is_undone() {
        var harness = Self.raceUpToHandOver(.favour(.event))
        harness.advance(.seconds(5))
        #expect(harness.ironic[Self.node]?.power == "power off")
        #expect(harness.state(Self.instance) == "stopped/4/None")
        #expect(harness.logged("DB power_state (4) does not match the vm_power_state from the hypervisor (1)"))
        #expect(harness.logged("Instance is not stopped. Calling the stop API."))
        #expect(harness.logged("possibly preempted"))
        #expect(harness.outcomes == [.preempted, .noOp], "POWER_ON preempted; the POWER_OFF the stop caused is a no-op")
        let actions = harness.nova.instanceActions[Self.instance] ?? []
        #expect(actions.map(\.action) == ["start", "stop", "stop"])
        #expect(actions.map(\.origin) == [.event, .sync, .event])
        #expect(harness.actions.contains {
            if case .setIronicPowerState(_, Self.node, "soft power off", 60) = $0 { true } else { false }
        })
        #expect(!harness.nova.compute.isBusy)
    }

    @Test func timeline_B_stop_wins_the_lock_and_nova_says_active_while_the_node_is_off() {
        var harness = Self.raceUpToHandOver(.favour(.stop))
        harness.advance(.seconds(5))
        #expect(harness.ironic[Self.node]?.power == "power off")
        #expect(harness.state(Self.instance) == "active/1/None", "the stale snapshot S1 passed after the stop")
        #expect(harness.outcomes == [.applied, .noOp])
        // The next sync, with a fresh cache, re-checks, calls the stop API and converges.
        harness.send(.refreshCacheNow)
        harness.send(.runSyncNow)
        harness.advance(.seconds(5))
        #expect(harness.logged("Instance shutdown by itself. Calling the stop API."))
        #expect(harness.state(Self.instance) == "stopped/4/None")
    }

    @Test func timeline_C_stale_cache_leaves_active_4_and_the_next_power_off_is_a_no_op() {
        var harness = NovaComputeHarness()
        harness.add(Self.instance, node: Self.node, vmState: "stopped", power: 4)
        harness.send(.started)
        harness.send(.refreshCacheNow)  // cache: power off
        harness.operatorPower(Self.node, on: true)  // event applied quickly
        harness.advance(.seconds(1))
        #expect(harness.state(Self.instance) == "active/1/None")
        harness.send(.runSyncNow)  // old cache says off; the fresh re-check says on: no stop
        harness.advance(.seconds(1))
        #expect(harness.logged("DB power_state (1) does not match the vm_power_state from the hypervisor (4)"))
        #expect(harness.state(Self.instance) == "active/4/None")
        #expect(harness.ironic[Self.node]?.power == "power on")
        harness.operatorPower(Self.node, on: false)
        harness.advance(.seconds(1))
        #expect(harness.outcomes == [.applied, .noOp])
        #expect(harness.nova.received.last?.log.contains("is a no-op since the instance is in vm_state active") == true)
        // Converges only at sync speed: (active, 4), fresh 4 → stop API; stop_instance finds it already off.
        harness.send(.refreshCacheNow)
        harness.send(.runSyncNow)
        harness.advance(.seconds(5))
        #expect(harness.logged("already powered off"))
        #expect(harness.state(Self.instance) == "stopped/4/None")
    }

    @Test func control_event_first_stays_consistent() {
        var harness = NovaComputeHarness { $0.eventDelay = .milliseconds(10) }
        harness.add(Self.instance, node: Self.node, vmState: "stopped", power: 4)
        harness.send(.started)
        harness.operatorPower(Self.node, on: true)
        harness.advance(.milliseconds(20))  // the event handler had the lock first
        harness.send(.refreshCacheNow)
        harness.send(.runSyncNow)
        harness.advance(.seconds(5))
        #expect(harness.state(Self.instance) == "active/1/None")
        #expect(harness.ironic[Self.node]?.power == "power on")
        #expect(harness.outcomes == [.applied])
        #expect(!harness.logged("does not match"))
        #expect(harness.nova.instanceActions[Self.instance]?.map(\.action) == ["start"])
    }

    @Test func replica_lag_gives_timeline_A_even_though_the_event_was_applied_first() {
        var harness = NovaComputeHarness { $0.replicaLag = .seconds(2) }
        harness.add(Self.instance, node: Self.node, vmState: "stopped", power: 4)
        harness.send(.started)
        harness.advance(.seconds(10))
        harness.operatorPower(Self.node, on: true)
        harness.advance(.milliseconds(100))
        #expect(harness.state(Self.instance) == "active/1/None")
        harness.send(.refreshCacheNow)
        harness.send(.runSyncNow)  // the replica still says stopped/4: force_stop; the CAS on the primary passes
        harness.advance(.seconds(5))
        #expect(harness.logged("Instance is not stopped. Calling the stop API."))
        #expect(harness.ironic[Self.node]?.power == "power off")
        #expect(harness.state(Self.instance) == "stopped/4/None")
    }

    /// The whole race under the seeded arbitration, as a comparable transcript.
    static func seededRun(_ seed: UInt64) -> (outcomes: [FakeNovaOutcome], state: String, log: [NovaComputeLog]) {
        var harness = raceUpToHandOver(.seeded, seed: seed)
        harness.advance(.seconds(5))
        return (harness.outcomes, harness.state(instance), harness.nova.compute.log)
    }

    @Test func same_seed_same_run() {
        for seed: UInt64 in [3, 17, 99] {
            let first = Self.seededRun(seed)
            let second = Self.seededRun(seed)
            #expect(first.outcomes == second.outcomes)
            #expect(first.state == second.state)
            #expect(first.log == second.log)
        }
    }

    @Test func lock_choice_varies_with_seeds() {
        let states = Set((0..<32).map { Self.seededRun(UInt64($0)).state })
        #expect(states == ["stopped/4/None", "active/1/None"], "both A and B happen for some seed")
    }
}

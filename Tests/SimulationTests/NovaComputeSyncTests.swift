import Simulation
import Testing

/// The periodic sync's matrix for Ironic's reachable cells, its timers and pool, stop_instance, and the per-host
/// event queue (nova.md §1.8, §3.3–§3.4).
@Suite struct NovaComputeSyncTests {
    static let a = "11111111-1111-4111-8111-111111111111"
    static let b = "22222222-2222-4222-8222-222222222222"
    static let c = "33333333-3333-4333-8333-333333333333"

    struct Cell: Sendable, CustomStringConvertible {
        var vmState: String
        var dbPower: Int
        var cached: String?
        var fresh: String?
        var final: String
        var stopped: Bool
        var phrase: String?
        var description: String { "\(vmState)/\(dbPower) × cache \(cached ?? "None"), fresh \(fresh ?? "None")" }
    }

    @Test(arguments: [
        Cell(vmState: "active", dbPower: 1, cached: "power on", fresh: "power on", final: "active/1/None", stopped: false),
        Cell(vmState: "active", dbPower: 1, cached: "power off", fresh: "power off", final: "stopped/4/None", stopped: true,
             phrase: "Instance shutdown by itself. Calling the stop API."),
        Cell(vmState: "active", dbPower: 1, cached: "power off", fresh: "power on", final: "active/4/None", stopped: false,
             phrase: "DB power_state (1) does not match the vm_power_state from the hypervisor (4)"),
        Cell(vmState: "stopped", dbPower: 4, cached: "power on", fresh: "power on", final: "stopped/4/None", stopped: true,
             phrase: "Instance is not stopped. Calling the stop API."),
        Cell(vmState: "stopped", dbPower: 4, cached: "power off", fresh: "power off", final: "stopped/4/None", stopped: false),
        Cell(vmState: "active", dbPower: 1, cached: nil, fresh: nil, final: "active/0/None", stopped: false,
             phrase: "Instance is unexpectedly not found. Ignore."),
        Cell(vmState: "stopped", dbPower: 4, cached: "error", fresh: "error", final: "stopped/0/None", stopped: false),
    ])
    func matrix(cell: Cell) {
        var harness = NovaComputeHarness()
        harness.add(Self.a, node: "node-a", vmState: cell.vmState, power: cell.dbPower)
        harness.ironic["node-a"]?.power = cell.cached
        harness.send(.refreshCacheNow)
        harness.ironic["node-a"]?.power = cell.fresh
        harness.send(.runSyncNow)
        harness.advance(.seconds(5))
        #expect(harness.state(Self.a) == cell.final)
        let stops = harness.nova.instanceActions[Self.a]?.filter { $0.origin == .sync }.map(\.action) ?? []
        #expect(stops == (cell.stopped ? ["stop"] : []))
        if let phrase = cell.phrase { #expect(harness.logged(phrase)) }
        #expect(!harness.nova.compute.isBusy)
    }

    @Test func stopped_running_force_stops_without_a_fresh_re_check_but_active_shutdown_re_checks() {
        var harness = NovaComputeHarness()
        harness.autoIronic = false
        harness.add(Self.a, node: "node-a", vmState: "stopped", power: 4, ironicPower: "power on")
        harness.add(Self.b, node: "node-b", vmState: "active", power: 1, ironicPower: "power off")
        harness.send(.refreshCacheNow)
        harness.answerHeld()
        harness.send(.runSyncNow)
        harness.advance(.milliseconds(50))
        #expect(harness.row(Self.a).taskState == "powering-off", "force_stop straight from the cached state")
        #expect(harness.row(Self.b).taskState == nil, "waiting for the fresh re-check")
        #expect(harness.nova.instanceActions[Self.a]?.map(\.action) == ["stop"])
        #expect(harness.nova.instanceActions[Self.b] == nil)
    }

    @Test func sync_runs_at_start_then_every_interval_and_can_be_disabled() {
        var enabled = NovaComputeHarness { $0.syncInterval = .seconds(600) }
        enabled.add(Self.a, node: "node-a", vmState: "stopped", power: 4, ironicPower: "power on")
        enabled.send(.started)
        #expect(enabled.pendingTimers == [.periodicSync(generation: 1)])
        enabled.advance(.seconds(1))
        #expect(enabled.state(Self.a) == "stopped/4/None")
        #expect(enabled.ironic["node-a"]?.power == "power off", "the run at start force-stopped it")
        enabled.ironic["node-a"]?.power = "power on"
        enabled.advance(.seconds(598))
        #expect(enabled.ironic["node-a"]?.power == "power on")
        enabled.advance(.seconds(2))
        #expect(enabled.ironic["node-a"]?.power == "power off", "the second run at 600 s")

        for interval: Duration? in [nil, .seconds(-1)] {
            var disabled = NovaComputeHarness { $0.syncInterval = interval }
            disabled.add(Self.a, node: "node-a", vmState: "stopped", power: 4, ironicPower: "power on")
            disabled.send(.started)
            disabled.advance(.seconds(3600))
            #expect(disabled.pendingTimers.isEmpty)
            #expect(disabled.ironic["node-a"]?.power == "power on")
            disabled.send(.runSyncNow)  // the hook still works
            disabled.advance(.seconds(5))
            #expect(disabled.ironic["node-a"]?.power == "power off")
        }
    }

    @Test func cache_refreshes_periodically_and_feeds_the_sync() {
        var harness = NovaComputeHarness { $0.cacheRefreshInterval = .seconds(60) }
        harness.add(Self.a, node: "node-a", vmState: "active", power: 1)
        harness.send(.started)
        harness.advance(.seconds(1))
        #expect(harness.nova.compute.nodeCache?[Self.a]?.powerState == "power on")
        harness.ironic["node-a"]?.power = "power off"
        harness.advance(.seconds(58))
        #expect(harness.nova.compute.nodeCache?[Self.a]?.powerState == "power on", "stale until the next refresh")
        harness.advance(.seconds(2))
        #expect(harness.nova.compute.nodeCache?[Self.a]?.powerState == "power off")
    }

    @Test func pool_size_bounds_concurrent_workers() {
        var harness = NovaComputeHarness { $0.syncPoolSize = 2 }
        for (uuid, node) in [(Self.a, "node-a"), (Self.b, "node-b"), (Self.c, "node-c")] {
            harness.add(uuid, node: node, vmState: "active", power: 1)
        }
        harness.send(.refreshCacheNow)
        harness.send(.runSyncNow)
        #expect(harness.pendingTimers.count == 2, "two workers read the DB; the third waits for a free thread")
        harness.advance(.milliseconds(50))
        #expect(harness.pendingTimers.count == 1)
        harness.advance(.milliseconds(50))
        #expect(harness.pendingTimers.isEmpty)
        #expect(!harness.nova.compute.isBusy)
    }

    @Test func pending_task_is_skipped() {
        var harness = NovaComputeHarness()
        harness.add(Self.a, node: "node-a", vmState: "stopped", power: 4, ironicPower: "power on")
        harness.nova.instances[Self.a]?.taskState = "powering-on"
        harness.send(.runSyncNow)
        harness.advance(.seconds(1))
        #expect(harness.logged("pending task (powering-on). Skip."))
        #expect(harness.state(Self.a) == "stopped/4/powering-on")
    }

    @Test func stop_instance_soft_then_hard_off_when_the_soft_off_times_out_on_a_still_on_node() {
        var harness = NovaComputeHarness { $0.ironicMaxRetries = 3 }
        harness.add(Self.a, node: "node-a", vmState: "stopped", power: 4, ironicPower: "power on")
        harness.autoIronic = false
        harness.send(.refreshCacheNow)
        harness.answerHeld()
        harness.send(.runSyncNow)
        harness.advance(.milliseconds(50))
        harness.answerHeld()  // fresh read: on → soft power off requested
        guard case .setIronicPowerState(let id, "node-a", "soft power off", 60)? = harness.heldCalls.first else {
            Issue.record("expected a soft power off, got \(harness.heldCalls)")
            return
        }
        harness.heldCalls = []
        harness.ironic["node-a"]?.target = "soft power off"  // the guest ignores ACPI
        harness.send(.ironicPowerRequested(id, .success(())))
        for _ in 0..<3 {
            harness.answerHeld()
            harness.advance(.seconds(2))
        }
        #expect(harness.heldCalls.contains {
            if case .setIronicPowerState(_, "node-a", "power off", nil) = $0 { true } else { false }
        })
        harness.ironic["node-a"]?.target = nil
        harness.answerHeld()
        harness.answerHeld()
        #expect(harness.state(Self.a) == "stopped/4/None")
        #expect(harness.ironic["node-a"]?.power == "power off")
    }

    @Test func ironic_409_reverts_the_task_state() {
        var harness = NovaComputeHarness()
        harness.add(Self.a, node: "node-a", vmState: "stopped", power: 4, ironicPower: "power on")
        harness.powerFailure = .init(status: 409, message: "Node node-a is locked by host conductor-1")
        harness.send(.refreshCacheNow)
        harness.send(.runSyncNow)
        harness.advance(.seconds(1))
        #expect(harness.state(Self.a) == "stopped/1/None")
        #expect(harness.logged("Failed to soft power off instance"), "a failed soft off falls back to hard off")
        #expect(harness.logged("stop_instance failed: Node node-a is locked"))
        #expect(harness.logged("Successfully reverted task state from powering-off"))
        #expect(!harness.nova.compute.isBusy)
    }

    @Test func per_host_queue_blocks_behind_a_held_instance_lock_other_hosts_go_on() {
        var harness = NovaComputeHarness()
        harness.ironicNotifies = false
        harness.add(Self.a, node: "node-a", vmState: "stopped", power: 4, ironicPower: "power on")
        harness.add(Self.b, node: "node-b", vmState: "active", power: 1)
        harness.add(Self.c, node: "node-c", vmState: "active", power: 1, host: "c2")
        harness.send(.refreshCacheNow)
        harness.autoIronic = false
        harness.send(.runSyncNow)
        harness.advance(.milliseconds(50))  // a: force_stop; stop_instance holds nova-a, waiting for Ironic
        #expect(harness.row(Self.a).taskState == "powering-off")
        harness.notify(Self.a, "POWER_OFF")
        harness.notify(Self.b, "POWER_OFF")
        harness.notify(Self.c, "POWER_OFF")
        harness.advance(.milliseconds(10))
        #expect(harness.outcomes == [.pending, .pending, .applied], "b waits behind a on c1; c2 is free")
        #expect(harness.state(Self.b) == "active/1/None")
        #expect(harness.state(Self.c) == "stopped/4/None")
        harness.autoIronic = true
        harness.answerHeld()
        #expect(harness.state(Self.a) == "stopped/4/None")
        #expect(harness.outcomes == [.noOp, .applied, .applied])
        #expect(harness.state(Self.b) == "stopped/4/None")
        #expect(!harness.nova.compute.isBusy)
    }

    @Test func queued_mode_off_keeps_the_immediate_behaviour() {
        var nova = FakeNova()
        nova.add(FakeNovaInstance(uuid: Self.a, vmState: "active", powerState: 1, host: "c1"))
        let body = Array(#"{"events": [{"name": "power-update", "server_uuid": "\#(Self.a)", "tag": "POWER_OFF"}]}"#.utf8)
        let (status, _, actions) = nova.handleExternalEvents(body: body, microversion: "2.76", now: .zero)
        #expect(status == 200)
        #expect(actions.isEmpty)
        #expect(nova.received.map(\.outcome) == [.applied])
        #expect(nova.instanceActions[Self.a] == [FakeNovaInstanceAction(
            action: "stop", requestID: "req-00000000-0000-4000-8000-000000000001", origin: .event)])
    }

    @Test func queued_events_of_one_request_apply_in_order_on_one_in_memory_object() {
        var harness = NovaComputeHarness { $0.eventDelay = .seconds(1) }
        harness.add(Self.a, node: "node-a", vmState: "stopped", power: 4)
        let body = Array(#"{"events": [{"name": "power-update", "server_uuid": "\#(Self.a)", "tag": "POWER_ON"}, "#.utf8)
            + Array(#"{"name": "power-update", "server_uuid": "\#(Self.a)", "tag": "POWER_OFF"}]}"#.utf8)
        let (status, _, actions) = harness.nova.handleExternalEvents(body: body, microversion: "compute 2.76", now: .zero)
        #expect(status == 200)
        #expect(actions == [.startTimer(.castDelivered(host: "c1", cast: 1), after: .seconds(1))], "one cast per host")
        #expect(harness.outcomes == [.pending, .pending])
        #expect(harness.nova.instanceActions[Self.a]?.map(\.action) == ["start", "stop"])
        harness.send(.timerFired(.castDelivered(host: "c1", cast: 1)))
        #expect(harness.outcomes == [.applied, .applied])
        #expect(harness.state(Self.a) == "stopped/4/None")
    }
}

import Controller
import ControllerCore
import Foundation
import Simulation
import Testing
import TestSupport
import VirtualBMCCore

/// The controller, its notifier and the fake Nova (with Keystone) over real HTTP on 127.0.0.1: a power change on a
/// virtual BMC ends as a power-update that Nova applies to the instance.
@Suite("Nova end to end: controller → notifier → fake Nova")
struct NovaEndToEndTests {
    /// Sync records what the hardware says (force = false), so a button press becomes a Nova event.
    static let recordingSync = manualSync(force: false)

    static func allOn(_ specs: inout [BMCSpec]) {
        for index in specs.indices { specs[index].powerOn = true }
    }

    @Test("a power button press: the next sync pass records it, one request carries the event, the instance stops")
    func buttonPressReachesNova() async throws {
        try await withFakeNova([runningInstance(fakeInstanceUUID(0))]) { nova in
            try await withController(count: 1, sync: Self.recordingSync, customize: Self.allOn, nodes: nodesWithInstances) { harness in
                try await withNotifier(harness.store, nova.keystone, doorbell: harness.controller.outboxDoorbell) { _ in
                    try harness.fleet.pressPowerButton(harness.specs[0].name)
                    let report = await harness.controller.syncPass()
                    #expect(report.recorded == 1)
                    try await eventually("the instance is stopped") { try await nova.powerState(fakeInstanceUUID(0)) == 4 }
                    let events = try await nova.events()
                    #expect(events.count == 1, "\(events)")
                    #expect(events.first?["request"] as? Int == 1)
                    #expect(events.first?["tag"] as? String == "POWER_OFF")
                    #expect(events.first?["outcome"] as? String == "applied")
                    #expect(try await nova.instances()[fakeInstanceUUID(0)]?["vm_state"] as? String == "stopped")
                    try await eventually("the outbox row is settled") { try await pendingCount(harness.store) == 0 }
                    #expect(try await harness.store.outbox(state: .delivered, limit: 10).map(\.event.tag) == [.powerOff])
                    let history = try await harness.store.history(nodeID: harness.nodeID(0), limit: 20)
                    #expect(history.contains { $0.eventType == .nova && $0.event.hasSuffix("delivered") })
                }
            }
        }
    }

    @Test("Nova down while nodes change state several times: nothing lost, each instance ends in its newest state")
    func outageThenRecovery() async throws {
        let instances = (0..<3).map { runningInstance(fakeInstanceUUID($0)) }
        try await withFakeNova(instances) { nova in
            try await nova.faults(["outage": true])
            try await withController(count: 3, sync: Self.recordingSync, customize: Self.allOn, nodes: nodesWithInstances) { harness in
                try await withNotifier(harness.store, nova.keystone, doorbell: harness.controller.outboxDoorbell) { notifier in
                    // off, off, off; then on, on; then off again: newest is off, on, off.
                    let steps: [(Int, PowerAction)] = [(0, .powerOff), (1, .powerOff), (2, .powerOff), (0, .powerOn),
                                                       (1, .powerOn), (0, .powerOff)]
                    for (index, action) in steps {
                        try await harness.controller.requestPowerAction(action, on: harness.nodeID(index))
                        await harness.waitForAction(index)
                    }
                    let queued = try await harness.store.outbox(state: nil, limit: 100)
                    #expect(queued.count == 6, "\(queued.map(\.event.tag))")
                    try await Task.sleep(for: .milliseconds(500))
                    #expect(try await nova.events().isEmpty, "nothing gets through an outage")
                    #expect(try await pendingCount(harness.store) >= 3, "undelivered events stay pending")
                    try await nova.faults(["outage": false])
                    try await eventually("every event settled") { try await pendingCount(harness.store) == 0 }
                    #expect(await notifier.unsettledCount == 0)
                    let states = try await nova.instances()
                    #expect(states[fakeInstanceUUID(0)]?["power_state"] as? Int == 4)
                    #expect(states[fakeInstanceUUID(1)]?["power_state"] as? Int == 1)
                    #expect(states[fakeInstanceUUID(2)]?["power_state"] as? Int == 4)
                    // Every row is delivered, or dropped only because a newer one for its instance replaced it.
                    let settled = try await harness.store.outbox(state: nil, limit: 100)
                    #expect(settled.count == 6)
                    for row in settled where row.state == .dropped {
                        #expect(row.reason?.hasPrefix("superseded by event") == true, "\(row)")
                    }
                    var newest: [String: NovaPowerUpdate.Tag] = [:]
                    for row in settled { newest[row.event.serverUUID] = row.event.tag }
                    let delivered = try await harness.store.outbox(state: .delivered, limit: 100)
                    for (uuid, tag) in newest {
                        #expect(delivered.contains { $0.event.serverUUID == uuid && $0.event.tag == tag }, "\(uuid) \(tag)")
                    }
                    // Nova never saw an older state after a newer one.
                    let seen = try await nova.events()
                    for uuid in newest.keys {
                        let tags = seen.filter { $0["server_uuid"] as? String == uuid }.compactMap { $0["tag"] as? String }
                        #expect(tags.last == newest[uuid]?.rawValue, "\(uuid): \(tags)")
                    }
                }
            }
        }
    }

    @Test("a slow Nova (5 s per answer) slows neither the sync pass nor power actions")
    func slowNovaDoesNotBlock() async throws {
        let instances = (0..<3).map { runningInstance(fakeInstanceUUID($0)) }
        try await withFakeNova(instances) { nova in
            try await withController(count: 3, sync: Self.recordingSync, customize: Self.allOn, nodes: nodesWithInstances) { harness in
                var configuration = NovaNotifierTests.fast
                configuration.requestTimeout = .seconds(30)
                try await withNotifier(harness.store, nova.keystone, configuration: configuration,
                                       doorbell: harness.controller.outboxDoorbell) { _ in
                    // Baseline with a fast Nova: presses recorded by one pass, then one power action.
                    for spec in harness.specs { try harness.fleet.pressPowerButton(spec.name) }
                    let fastPass = await harness.controller.syncPass()
                    #expect(fastPass.recorded == 3)
                    let fastAction = try await Self.timedAction(harness, .powerOn, on: 0)
                    try await eventually("the baseline's events delivered") { try await pendingCount(harness.store) == 0 }

                    try await nova.faults(["latency_ms": 5_000])
                    try harness.fleet.pressPowerButton(harness.specs[1].name)
                    try harness.fleet.pressPowerButton(harness.specs[2].name)
                    let slowPass = await harness.controller.syncPass()
                    #expect(slowPass.recorded == 2)
                    let slowAction = try await Self.timedAction(harness, .powerOff, on: 0)
                    // Waiting on Nova would add at least 5 s to each; 4 s of slack absorbs a loaded machine.
                    #expect(slowPass.duration < fastPass.duration + .seconds(4), "\(slowPass.duration) vs \(fastPass.duration)")
                    #expect(slowAction < fastAction + .seconds(4), "\(slowAction) vs \(fastAction)")
                    #expect(try await pendingCount(harness.store) > 0, "Nova has not answered yet: the sync did not wait for it")
                    // The request in flight still takes its 5 s; later ones go fast.
                    try await nova.faults(["latency_ms": 0])
                    try await eventually("the slow Nova's events delivered") { try await pendingCount(harness.store) == 0 }
                    #expect(try await nova.powerState(fakeInstanceUUID(1)) == 1)
                    #expect(try await nova.powerState(fakeInstanceUUID(0)) == 4)
                }
            }
        }
    }

    static func timedAction(_ harness: ControllerHarness, _ action: PowerAction, on index: Int) async throws -> Duration {
        let start = ContinuousClock.now
        try await harness.controller.requestPowerAction(action, on: harness.nodeID(index))
        await harness.waitForAction(index)
        return ContinuousClock.now - start
    }
}

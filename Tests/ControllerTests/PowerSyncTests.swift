import Controller
import ControllerCore
import Testing
import VirtualBMC
import VirtualBMCCore

/// The periodic sync and the recovery, over real UDP to a VirtualBMC fleet.
@Suite("Power sync against virtual BMCs")
struct PowerSyncTests {
    @Test("the first pass records every unknown state; a second pass finds everything in sync and writes nothing")
    func firstPass() async throws {
        try await withController(count: 20, customize: { specs in
            for index in specs.indices { specs[index].powerOn = index.isMultiple(of: 2) }
        }) { harness in
            let first = await harness.controller.syncPass()
            #expect(first.checked == 20)
            #expect(first.recorded == 20)
            for index in 0..<20 {
                let expected: PowerState = index.isMultiple(of: 2) ? .powerOn : .powerOff
                #expect(try await harness.node(index).powerState == expected)
            }
            // Filling in an unknown state tells Nova too (the instance may have been booked while unknown).
            let queued = try await harness.store.outbox(state: .pending, limit: 100)
            #expect(queued.count == 20)
            let second = await harness.controller.syncPass()
            #expect(second.inSync == 20)
            #expect(second.recorded == 0)
            let queuedAfter = try await harness.store.outbox(state: nil, limit: 100)
            #expect(queuedAfter.count == 20, "no new events")
            #expect(await harness.client.sessionCount == 20, "one persistent session per BMC")
        }
    }

    @Test("a power-button press is recorded by the next pass when force_power_state_during_sync is false")
    func buttonRecorded() async throws {
        try await withController(count: 3, sync: manualSync(force: false), customize: { specs in
            for index in specs.indices { specs[index].powerOn = true }
        }) { harness in
            #expect(await harness.controller.syncPass().recorded == 3)
            let before = try await harness.store.outbox(state: nil, limit: 100).count
            try harness.fleet.pressPowerButton(harness.specs[1].name)
            #expect(try harness.bmc(1).powerOn == false)
            let report = await harness.controller.syncPass()
            #expect(report.recorded == 1)
            #expect(try await harness.node(1).powerState == .powerOff)
            #expect(try await harness.node(0).powerState == .powerOn)
            let events = try await harness.store.outbox(state: nil, limit: 100)
            #expect(events.count == before + 1)
            #expect(events.last?.event == NovaPowerUpdate(serverUUID: "instance-1", tag: .powerOff,
                                                          at: events.last!.event.at))
            #expect(try harness.bmc(1).powerOn == false, "force=false never touches the hardware")
        }
    }

    @Test("with force_power_state_during_sync true the press is reverted and the record stays")
    func buttonReverted() async throws {
        try await withController(count: 2, sync: manualSync(force: true), customize: { specs in
            for index in specs.indices { specs[index].powerOn = true }
        }) { harness in
            await harness.controller.syncPass()
            let before = try await harness.store.outbox(state: nil, limit: 100).count
            try harness.fleet.pressPowerButton(harness.specs[0].name)
            let report = await harness.controller.syncPass()
            #expect(report.forced == 1)
            #expect(try harness.bmc(0).powerOn, "driven back on")
            let node = try await harness.node(0)
            #expect(node.powerState == .powerOn)
            #expect(node.targetPowerState == nil)
            let history = try await harness.store.history(nodeID: node.id, limit: 10)
            #expect(history.contains { $0.event.contains("forcing it back") })
            // The forced power-on is a successful action: Ironic notifies Nova of it.
            let events = try await harness.store.outbox(state: nil, limit: 100)
            #expect(events.count == before + 1)
            #expect(events.last?.event.tag == .powerOn)
        }
    }

    @Test("a dead BMC: failures counted, maintenance with fault 'power failure' after max retries, recovery when it answers")
    func deadBMCAndRecovery() async throws {
        try await withController(count: 2, sync: manualSync(maxRetries: 2), client: BMCClientConfiguration(
            retransmitInterval: .milliseconds(200), maximumAttempts: 3)) { harness in
            await harness.controller.syncPass()
            let recorded = try await harness.node(0).powerState
            try harness.fleet.setFaults(FaultSpec(dead: true), on: harness.specs[0].name)
            var report = await harness.controller.syncPass()
            #expect(report.readFailures == 1)
            report = await harness.controller.syncPass()
            #expect(report.readFailures == 1)
            #expect(try await harness.node(0).maintenance == false, "retries remain")
            report = await harness.controller.syncPass()
            #expect(report.enteredMaintenance == 1)
            var node = try await harness.node(0)
            #expect(node.maintenance)
            #expect(node.fault == .powerFailure)
            #expect(node.maintenanceReason?.contains("max retries exceeded") == true)
            #expect(node.powerState == nil, "Ironic records None after failing to read")
            // Maintenance nodes are skipped by the sync; recovery fails while the BMC is still dead.
            report = await harness.controller.syncPass()
            #expect(report.skipped == 1)
            #expect(await harness.controller.recoveryPass() == (recovered: 0, stillFailing: 1))
            try harness.fleet.setFaults(.none, on: harness.specs[0].name)
            #expect(await harness.controller.recoveryPass() == (recovered: 1, stillFailing: 0))
            node = try await harness.node(0)
            #expect(!node.maintenance)
            #expect(node.fault == nil)
            #expect(node.powerState == recorded)
            #expect(try await harness.node(1).maintenance == false, "the healthy node was never touched")
            let history = try await harness.store.history(nodeID: node.id, limit: 20)
            #expect(history.contains { $0.eventType == .maintenance && $0.severity == .error })
            #expect(history.contains { $0.event.contains("Power failure recovered") })
        }
    }

    @Test("rotated credentials: a clear error, then back-off without sending a login")
    func rotatedCredentials() async throws {
        try await withController(count: 2, client: BMCClientConfiguration(
            scheduling: BMCSchedulingConfiguration(credentialBackOff: .seconds(60)),
            retransmitInterval: .milliseconds(500), maximumAttempts: 4)) { harness in
            try harness.fleet.setFaults(FaultSpec(credentialsRotated: true), on: harness.specs[0].name)
            var report = await harness.controller.syncPass()
            #expect(report.readFailures == 1)
            #expect(report.recorded == 1, "the other node is unaffected")
            let attempts = try harness.bmc(0).counters.datagramsIn
            #expect(attempts > 0)
            report = await harness.controller.syncPass()
            #expect(report.readFailures == 1)
            #expect(try harness.bmc(0).counters.datagramsIn == attempts, "backing off: nothing sent to the locked account")
        }
    }

    @Test("an action requested during a sync pass is accepted; the pass discards its stale reading of that node")
    func actionDuringSync() async throws {
        try await withController(count: 4, client: BMCClientConfiguration(retransmitInterval: .seconds(2)), customize: { specs in
            for index in specs.indices {
                specs[index].powerOn = false
                specs[index].faults = FaultSpec(latency: .milliseconds(300))
            }
        }) { harness in
            // Known states first, so the in-flight pass would have something to correct.
            await harness.controller.syncPass()
            async let pass = harness.controller.syncPass()
            try await Task.sleep(for: .milliseconds(100))
            try await harness.controller.requestPowerAction(.powerOn, on: harness.nodeID(2))
            let report = await pass
            #expect(report.overtaken == 1, "\(report)")
            #expect(try await harness.node(2).lastError == nil)
            #expect(report.inSync == 3)
            await harness.waitForAction(2)
            #expect(try await harness.node(2).powerState == .powerOn)
            #expect(try harness.bmc(2).powerOn)
            let after = await harness.controller.syncPass()
            #expect(after.inSync == 4)
        }
    }

    @Test("passes never overlap: a pass asked for while one runs joins it")
    func noOverlap() async throws {
        try await withController(count: 3, client: BMCClientConfiguration(retransmitInterval: .seconds(2)), customize: { specs in
            for index in specs.indices { specs[index].faults = FaultSpec(latency: .milliseconds(200)) }
        }) { harness in
            async let first = harness.controller.syncPass()
            try await Task.sleep(for: .milliseconds(50))
            let second = await harness.controller.syncPass()
            #expect(await first == second)
            #expect(second.recorded == 3)
            let commands = try harness.bmc(0).counters.commands
            #expect(commands == 1, "one read per BMC, not two")
        }
    }
}

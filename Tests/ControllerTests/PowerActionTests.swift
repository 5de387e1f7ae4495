import Controller
import ControllerCore
import Testing
import VirtualBMC
import VirtualBMCCore

/// Power actions through the controller, over real UDP to a VirtualBMC fleet.
@Suite("Power actions against virtual BMCs")
struct PowerActionTests {
    @Test("every power action reaches its state on the BMC, is recorded, and queues one Nova event")
    func everyAction() async throws {
        try await withController(count: 5, customize: { specs in
            for index in specs.indices {
                specs[index].powerOn = index != 0
                specs[index].timings = ChassisTimings(powerTransition: .milliseconds(150), softShutdown: .milliseconds(150))
            }
        }) { harness in
            let plan: [(PowerAction, Bool)] = [
                (.powerOn, true), (.powerOff, false), (.rebooting, true), (.softPowerOff, false), (.softRebooting, true),
            ]
            for (index, (action, _)) in plan.enumerated() {
                try await harness.controller.requestPowerAction(action, on: harness.nodeID(index))
            }
            for (index, (action, expectOn)) in plan.enumerated() {
                await harness.waitForAction(index)
                let node = try await harness.node(index)
                #expect(node.powerState == action.targetState, "\(action)")
                #expect(node.targetPowerState == nil)
                #expect(node.lastError == nil, "\(action): \(node.lastError ?? "")")
                #expect(try harness.bmc(index).powerOn == expectOn, "\(action)")
                let history = try await harness.store.history(nodeID: node.id, limit: 10)
                #expect(history.contains { $0.event.contains("power action '\(action)'") }, "\(action)")
            }
            #expect(try harness.bmc(2).cycles == 0, "reboot is off then on, never a power cycle")
            let events = try await harness.store.outbox(state: .pending, limit: 100)
            #expect(events.count == plan.count)
            for (index, (action, _)) in plan.enumerated() {
                let tag: NovaPowerUpdate.Tag = action.targetState == .powerOn ? .powerOn : .powerOff
                #expect(events.contains { $0.event.serverUUID == "instance-\(index)" && $0.event.tag == tag }, "\(action)")
            }
        }
    }

    @Test("a node already in the requested state is confirmed without a command and without a Nova event")
    func alreadyInState() async throws {
        try await withController(count: 1, customize: { $0[0].powerOn = true }) { harness in
            try await harness.controller.requestPowerAction(.powerOn, on: "server-0")
            await harness.waitForAction(0)
            #expect(try await harness.node(0).powerState == .powerOn)
            #expect(try await harness.store.outbox(state: nil, limit: 10).isEmpty)
        }
    }

    @Test("a second request while an action runs is refused with a conflict, never queued")
    func conflict() async throws {
        try await withController(count: 1, customize: {
            $0[0].powerOn = false
            $0[0].timings = ChassisTimings(powerTransition: .milliseconds(600))
        }) { harness in
            try await harness.controller.requestPowerAction(.powerOn, on: harness.nodeID(0))
            await #expect(throws: PowerActionRefusal.conflict(nodeID: "node-0", inProgress: .powerOn)) {
                try await harness.controller.requestPowerAction(.powerOff, on: harness.nodeID(0))
            }
            await harness.waitForAction(0)
            #expect(try await harness.node(0).powerState == .powerOn)
            #expect(try harness.bmc(0).powerOn)
            // Released: the next request is accepted.
            try await harness.controller.requestPowerAction(.powerOff, on: harness.nodeID(0))
            await harness.waitForAction(0)
            #expect(try await harness.node(0).powerState == .powerOff)
        }
    }

    @Test("an action that cannot finish records last_error and releases the node")
    func failedAction() async throws {
        try await withController(count: 2, customize: { specs in
            specs[0].powerOn = true
            specs[0].timings = ChassisTimings(osHung: true)
            specs[1].powerOn = false
            specs[1].faults = FaultSpec(stuckPower: true)
        }) { harness in
            try await harness.controller.requestPowerAction(.softPowerOff, on: harness.nodeID(0), timeout: .milliseconds(600))
            try await harness.controller.requestPowerAction(.powerOn, on: harness.nodeID(1), timeout: .milliseconds(600))
            for index in 0..<2 {
                await harness.waitForAction(index)
                let node = try await harness.node(index)
                #expect(node.targetPowerState == nil)
                #expect(node.lastError?.contains("Failed to change power state") == true, "\(node.lastError ?? "nil")")
                let history = try await harness.store.history(nodeID: node.id, limit: 10)
                #expect(history.contains { $0.severity == .error && $0.eventType == .power })
            }
            #expect(try harness.bmc(0).powerOn, "the hung OS kept the chassis on")
            #expect(try await harness.store.outbox(state: nil, limit: 10).isEmpty, "no state change, no event")
        }
    }

    @Test("unknown nodes and unusable driver_info are refused before any BMC traffic")
    func refusals() async throws {
        try await withController(count: 1, nodes: { specs in
            var node = makeNode(0, spec: specs[0])
            node.driverInfo.ipmiAddress = ""
            return [node]
        }) { harness in
            await #expect(throws: PowerControllerError.nodeNotFound("nope")) {
                try await harness.controller.requestPowerAction(.powerOn, on: "nope")
            }
            await #expect(throws: PowerActionRefusal.self) {
                try await harness.controller.requestPowerAction(.powerOn, on: harness.nodeID(0))
            }
            let received = try harness.bmc(0).counters.datagramsIn
            #expect(received == 0)
        }
    }
}

import Controller
import ControllerCore
import Foundation
import Simulation
import Testing
import TestSupport

/// The power-state hold against the Simulation module's fake Nova (Keystone, `GET /v2.1/servers/{id}`, its
/// nova-compute model applying power-update), all over HTTP on 127.0.0.1.
@Suite struct NovaPowerStateHoldFakeNovaTests {
    @Test("NovaClient.server reads OS-EXT-STS from the fake Nova through Keystone; an unknown instance is notFound")
    func serverLookup() async throws {
        try await withFakeNova([runningInstance(fakeInstanceUUID(0)), runningInstance(fakeInstanceUUID(1), on: false)]) { nova in
            let client = URLSessionNovaClient(auth: nova.keystone)
            let active = await client.server(fakeInstanceUUID(0), timeout: .seconds(10))
            #expect(active == .found(NovaInstanceView(vmState: "active", powerState: 1, taskState: nil)))
            let stopped = await client.server(fakeInstanceUUID(1), timeout: .seconds(10))
            #expect(stopped == .found(NovaInstanceView(vmState: "stopped", powerState: 4, taskState: nil)))
            let missing = await client.server(fakeInstanceUUID(9), timeout: .seconds(10))
            #expect(missing == .notFound)
        }
    }

    @Test("An operator's power-on is held from Nova until the notifier's event is applied in the fake Nova")
    func releasedOnceNovaApplies() async throws {
        try await withFakeNova([runningInstance(fakeInstanceUUID(0), on: false)]) { nova in
            try await withController(count: 1, novaHold: .init(enabled: true, maximumHold: .seconds(120)), nodes: { specs in
                var node = makeNode(0, spec: specs[0], powerState: .powerOff)
                node.instanceUUID = fakeInstanceUUID(0)
                return [node]
            }) { harness in
                try await withAPI(harness.controller) { base in
                    let novaAgent = NovaPowerStateHoldAPITests.novaAgent
                    let (status, _) = try await httpJSON("PUT", base + "/v1/nodes/node-0/states/power", ["target": "power on"])
                    #expect(status == 202)
                    await harness.waitForAction(0)
                    let (_, held) = try await httpJSON("GET", base + "/v1/nodes/node-0", headers: novaAgent)
                    #expect((held as? [String: Any])?["power_state"] as? String == "power off")
                    let confirmer = NovaPowerStateConfirmer(holds: harness.controller.novaHolds,
                                                            client: URLSessionNovaClient(auth: nova.keystone))
                    try await withNotifier(harness.store, nova.keystone, doorbell: harness.controller.outboxDoorbell) { _ in
                        try await eventually("the fake Nova shows the instance active/1") {
                            try await nova.powerState(fakeInstanceUUID(0)) == FakeNovaInstance.running
                        }
                        try await eventually("the hold is released") {
                            await confirmer.confirm()
                            return harness.controller.novaHolds.count == 0
                        }
                    }
                    let (_, released) = try await httpJSON("GET", base + "/v1/nodes/node-0", headers: novaAgent)
                    #expect((released as? [String: Any])?["power_state"] as? String == "power on")
                }
            }
        }
    }
}

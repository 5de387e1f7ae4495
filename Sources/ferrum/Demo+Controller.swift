import Controller
import ControllerCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import VirtualBMC
import VirtualBMCCore

/// The controller part of the demo: the fleet's BMCs enrolled as nodes, a sync pass, a power action, a
/// power-button press corrected by the next pass, and what went into the store (history, Nova outbox) and on to
/// the fake Nova.
struct ControllerDemo {
    let controller: PowerController
    let client: BMCClient
    let store: SQLiteStore
    let databasePath: String
    let nova: NovaDemo
    let notifier: NovaNotifier

    static func start(fleet: Fleet, user: String, password: String, step: (String) -> Void) async throws -> ControllerDemo {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let databasePath = directory.appendingPathComponent("ferrum.sqlite").path
        var logger = Logger(label: "ferrum.demo")
        logger.logLevel = .critical
        let store = try await SQLiteStore.open(path: databasePath, logger: logger)
        // One registry for the client and the controller, served at /metrics.
        let metrics = ControllerMetrics()
        let client = BMCClient(metrics: metrics)
        try await client.start()
        // Periodic passes every 10 s once the demo is left running; the walk-through runs its passes itself.
        let sync = PowerSyncConfiguration(syncPowerStateInterval: .seconds(10), powerFailureRecoveryInterval: .seconds(30))
        let actions = PowerActionConfiguration(initialPollDelay: .milliseconds(200), maxPollInterval: .seconds(1))
        let controller = PowerController(store: store, driver: BMCPowerDriver(client: client),
                                         configuration: PowerControllerConfiguration(powerSync: sync, powerAction: actions),
                                         logger: logger, metrics: metrics)
        try await controller.start()
        step("Controller: SQLite store at \(databasePath), one UDP socket for every BMC")
        for (index, bmc) in fleet.list().enumerated() {
            let node = Node(id: UUID().uuidString.lowercased(), name: "server-\(index)",
                            driverInfo: DriverInfo(ipmiAddress: bmc.address, ipmiPort: UInt16(bmc.port), ipmiUsername: user,
                                                   ipmiPassword: password),
                            instanceUUID: NovaDemo.instanceUUID(index), createdAt: controller.now())
            try await controller.enroll(node)
            try await controller.changeProvisionState(.manage, on: node.id)
            try await controller.changeProvisionState(.provide, on: node.id)
        }
        step("Controller: enrolled \(await controller.nodeCount) nodes (driver ipmi, password shown as \(DriverInfo(ipmiAddress: "x", ipmiPassword: password).ipmiPassword!)), manage → provide → available")
        let nova = try await NovaDemo.start(instances: fleet.list().count)
        let notifier = nova.notifier(store: store, controller: controller, logger: logger)
        step("Fake Nova and Keystone at \(nova.base): one instance per node (\(await nova.instance(NovaDemo.instanceUUID(0)))); "
            + "the notifier logs in with a password and finds Nova in the catalog")
        return ControllerDemo(controller: controller, client: client, store: store, databasePath: databasePath, nova: nova,
                              notifier: notifier)
    }

    /// Needs `controller.run()` going, which runs the power actions.
    func walkThrough(fleet: Fleet, step: (String) -> Void) async throws {
        let first = await controller.syncPass()
        step("Power sync pass 1: \(first.checked) checked, \(first.recorded) unknown states recorded → \(try await states())")
        let second = await controller.syncPass()
        step("Power sync pass 2: \(second.inSync) in sync, \(second.recorded) writes, \(await client.sessionCount) RMCP+ sessions kept open")
        try await novaSettled()
        let (requests, events) = await nova.received()
        step("Nova: the \(first.recorded) recorded states reached Nova as \(events) power-update events in \(requests) request(s) "
            + "(batched over 0.1 s); server-0's instance: \(await nova.instance(NovaDemo.instanceUUID(0)))")

        let instanceBefore = await nova.instance(NovaDemo.instanceUUID(1))
        try await controller.requestPowerAction(.powerOff, on: "server-1")
        do {
            try await controller.requestPowerAction(.powerOn, on: "server-1")
        } catch {
            step("server-1: power off accepted (202); a second request at once → refused: \(error)")
        }
        await controller.actor(for: "server-1")?.waitUntilIdle()
        step("server-1: power off confirmed by reading the BMC back (400 ms transition) → \(try await states())")
        try await novaSettled()
        step("server-1's instance in Nova: \(instanceBefore) → \(await nova.instance(NovaDemo.instanceUUID(1))) "
            + "(requests so far: \(await nova.received().requests))")

        try fleet.pressPowerButton(fleet.list()[0].name)
        step("server-0: someone presses the power button → BMC says \(try fleet.show(fleet.list()[0].name).powerOn ? "on" : "off")")
        let pass = await controller.syncPass()
        step("Power sync pass 3 (force_power_state_during_sync = true): \(pass.forced) node driven back → BMC says "
            + "\(try fleet.show(fleet.list()[0].name).powerOn ? "on" : "off"), recorded \(try await states())")
        try await novaSettled()
        let outbox = try await store.outbox(state: nil, limit: 100)
        let delivered = outbox.filter { $0.state == .delivered }.count, pending = outbox.filter { $0.state == .pending }.count
        step("Nova outbox (durable, same transaction as each change): \(outbox.count) power-update events, \(delivered) delivered, "
            + "\(outbox.count - delivered - pending) dropped (superseded or refused), \(pending == 0 ? "none" : "\(pending)") pending")
        if let server1 = await controller.actor(for: "server-1") {
            for entry in try await store.history(nodeID: server1.id, limit: 3) {
                step("server-1 history: [\(entry.severity.rawValue)] \(entry.event)")
            }
        }
    }

    /// Waits (up to 10 s) until the notifier has settled every queued event.
    func novaSettled() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !store.outbox(state: .pending, limit: 1).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func states() async throws -> String {
        await controller.nodes().map { "\($0.name ?? $0.id): \($0.powerState?.rawValue ?? "None")" }.joined(separator: ", ")
    }

    func shutdown() async {
        nova.stop()
        await client.shutdown()
        try? await store.close()
        try? FileManager.default.removeItem(atPath: (databasePath as NSString).deletingLastPathComponent)
    }
}

extension ControllerDemo {
    /// The same controller through its Ironic-compatible HTTP API, as `openstack baremetal` would use it.
    func throughTheAPI(base: String, fleet: Fleet, step: (String) -> Void) async throws {
        let (_, listed) = try await call("GET", "\(base)/v1/nodes")
        let nodes = (listed as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
        step("API GET /v1/nodes → " + nodes.map { "\($0["name"] as? String ?? "?"): \($0["power_state"] as? String ?? "None")" }
            .joined(separator: ", "))
        let (status, _) = try await call("PUT", "\(base)/v1/nodes/server-2/states/power", ["target": "power on"])
        step("API PUT /v1/nodes/server-2/states/power {\"target\": \"power on\"} → \(status)")
        await controller.actor(for: "server-2")?.waitUntilIdle()
        let (_, states) = try await call("GET", "\(base)/v1/nodes/server-2/states")
        let power = (states as? [String: Any])?["power_state"] as? String ?? "?"
        step("API GET /v1/nodes/server-2/states → power_state '\(power)'; the BMC says \(try fleet.show(fleet.list()[2].name).powerOn ? "on" : "off")")
        try await novaSettled()
        step("server-2's instance in Nova: \(await nova.instance(NovaDemo.instanceUUID(2))); "
            + "Nova has received \(await nova.received().requests) requests in all")
        let (_, shown) = try await call("GET", "\(base)/v1/nodes/server-2")
        let info = (shown as? [String: Any])?["driver_info"] as? [String: Any]
        step("API GET /v1/nodes/server-2 → driver_info ipmi_password \(info?["ipmi_password"] as? String ?? "?")")
        var request = URLRequest(url: URL(string: "\(base)/metrics")!)
        request.timeoutInterval = 10
        let (metrics, _) = try await URLSession.shared.data(for: request)
        let samples = String(decoding: metrics, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("ferrum_") }
        step("API GET /metrics → \(samples.count) Prometheus samples, e.g. "
            + (samples.first { $0.hasPrefix("ferrum_sync_passes_total") }.map(String.init) ?? samples.first.map(String.init) ?? "none"))
    }

    private func call(_ method: String, _ url: String, _ body: [String: String]? = nil) async throws -> (Int, Any?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 10
        request.setValue("1.95", forHTTPHeaderField: "X-OpenStack-Ironic-API-Version")
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONSerialization.jsonObject(with: data))
    }
}

import Controller
import ControllerCore
import Foundation
import Hummingbird
import Logging
import VirtualBMC
import VirtualBMCCore

/// The controller part of the demo: the fleet's BMCs enrolled as nodes, a sync pass, a power action, a
/// power-button press corrected by the next pass, and what went into the store (history, Nova outbox).
struct ControllerDemo {
    let controller: PowerController
    let client: BMCClient
    let store: SQLiteStore
    let databasePath: String

    static func start(fleet: Fleet, user: String, password: String, step: (String) -> Void) async throws -> ControllerDemo {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let databasePath = directory.appendingPathComponent("ferrum.sqlite").path
        var logger = Logger(label: "ferrum.demo")
        logger.logLevel = .critical
        let store = try await SQLiteStore.open(path: databasePath, logger: logger)
        let client = BMCClient()
        try await client.start()
        // Periodic passes every 10 s once the demo is left running; the walk-through runs its passes itself.
        let sync = PowerSyncConfiguration(syncPowerStateInterval: .seconds(10), powerFailureRecoveryInterval: .seconds(30))
        let actions = PowerActionConfiguration(initialPollDelay: .milliseconds(200), maxPollInterval: .seconds(1))
        let controller = PowerController(store: store, driver: BMCPowerDriver(client: client),
                                         configuration: PowerControllerConfiguration(powerSync: sync, powerAction: actions),
                                         logger: logger)
        try await controller.start()
        step("Controller: SQLite store at \(databasePath), one UDP socket for every BMC")
        for (index, bmc) in fleet.list().enumerated() {
            let node = Node(id: UUID().uuidString.lowercased(), name: "server-\(index)",
                            driverInfo: DriverInfo(ipmiAddress: bmc.address, ipmiPort: UInt16(bmc.port), ipmiUsername: user,
                                                   ipmiPassword: password),
                            instanceUUID: "instance-\(index)", createdAt: controller.now())
            try await controller.enroll(node)
            try await controller.changeProvisionState(.manage, on: node.id)
            try await controller.changeProvisionState(.provide, on: node.id)
        }
        step("Controller: enrolled \(await controller.nodeCount) nodes (driver ipmi, password shown as \(DriverInfo(ipmiAddress: "x", ipmiPassword: password).ipmiPassword!)), manage → provide → available")
        return ControllerDemo(controller: controller, client: client, store: store, databasePath: databasePath)
    }

    /// Needs `controller.run()` going, which runs the power actions.
    func walkThrough(fleet: Fleet, step: (String) -> Void) async throws {
        let first = await controller.syncPass()
        step("Power sync pass 1: \(first.checked) checked, \(first.recorded) unknown states recorded → \(try await states())")
        let second = await controller.syncPass()
        step("Power sync pass 2: \(second.inSync) in sync, \(second.recorded) writes, \(await client.sessionCount) RMCP+ sessions kept open")

        try await controller.requestPowerAction(.powerOff, on: "server-1")
        do {
            try await controller.requestPowerAction(.powerOn, on: "server-1")
        } catch {
            step("server-1: power off accepted (202); a second request at once → refused: \(error)")
        }
        await controller.actor(for: "server-1")?.waitUntilIdle()
        step("server-1: power off confirmed by reading the BMC back (400 ms transition) → \(try await states())")

        try fleet.pressPowerButton(fleet.list()[0].name)
        step("server-0: someone presses the power button → BMC says \(try fleet.show(fleet.list()[0].name).powerOn ? "on" : "off")")
        let pass = await controller.syncPass()
        step("Power sync pass 3 (force_power_state_during_sync = true): \(pass.forced) node driven back → BMC says "
            + "\(try fleet.show(fleet.list()[0].name).powerOn ? "on" : "off"), recorded \(try await states())")
        let events = try await store.outbox(state: .pending, limit: 100)
        step("Nova outbox (durable, same transaction as each change): \(events.count) power-update events queued: "
            + events.map { "\($0.event.serverUUID) \($0.event.tag.rawValue)" }.joined(separator: ", "))
        if let server0 = await controller.actor(for: "server-0") {
            for entry in try await store.history(nodeID: server0.id, limit: 4) {
                step("server-0 history: [\(entry.severity.rawValue)] \(entry.event)")
            }
        }
    }

    private func states() async throws -> String {
        await controller.nodes().map { "\($0.name ?? $0.id): \($0.powerState?.rawValue ?? "None")" }.joined(separator: ", ")
    }

    func shutdown() async {
        await client.shutdown()
        try? await store.close()
        try? FileManager.default.removeItem(atPath: (databasePath as NSString).deletingLastPathComponent)
    }
}

import Controller
import ControllerCore
import TestSupport
import Logging
import VirtualBMC
import VirtualBMCCore

/// Fast timings so tests of real power actions over UDP finish in moments.
let fastActions = PowerActionConfiguration(powerStateChangeTimeout: .seconds(5), softPowerOffTimeout: .seconds(5),
                                           initialPollDelay: .milliseconds(50), maxPollInterval: .milliseconds(200))

/// Periodic tasks off: tests run passes themselves, so nothing happens behind their back.
func manualSync(force: Bool = true, maxRetries: Int = 3) -> PowerSyncConfiguration {
    PowerSyncConfiguration(syncPowerStateInterval: .zero, forcePowerStateDuringSync: force,
                           powerStateSyncMaxRetries: maxRetries, powerFailureRecoveryInterval: .zero)
}

/// A VirtualBMC fleet, one client socket, a store and a controller with one node per BMC (`node-0` for `bmc-0`, ...).
struct ControllerHarness {
    let fleet: Fleet
    let specs: [BMCSpec]
    let client: BMCClient
    let store: any ControllerStore
    let controller: PowerController

    func nodeID(_ index: Int) -> String { "node-\(index)" }

    func node(_ index: Int) async throws -> Node {
        guard let actor = await controller.actor(for: nodeID(index)) else { throw StoreError.nodeNotFound(nodeID(index)) }
        return await actor.node
    }

    func bmc(_ index: Int) throws -> BMCSnapshot { try fleet.show(specs[index].name) }

    func waitForAction(_ index: Int) async {
        await controller.actor(for: nodeID(index))?.waitUntilIdle()
    }
}

func makeNode(_ index: Int, spec: BMCSpec, password: String? = nil, powerState: PowerState? = nil,
              instance: Bool = true) -> Node {
    Node(id: "node-\(index)", name: "server-\(index)",
         driverInfo: DriverInfo(ipmiAddress: spec.address, ipmiPort: UInt16(spec.port), ipmiUsername: spec.users[0].name,
                                ipmiPassword: password ?? spec.users[0].password),
         powerState: powerState, provisionState: .active, instanceUUID: instance ? "instance-\(index)" : nil,
         createdAt: .epoch)
}

/// Runs `body` with a started fleet, client and running controller, and tears all of it down on every path.
func withController(
    count: Int,
    store: (any ControllerStore)? = nil,
    sync: PowerSyncConfiguration = manualSync(),
    // Patient enough that a loaded CI machine (the whole suite runs in parallel on two cores) loses no reading.
    client clientConfiguration: BMCClientConfiguration = BMCClientConfiguration(
        retransmitInterval: .milliseconds(500), maximumAttempts: 4),
    customize: (inout [BMCSpec]) -> Void = { _ in },
    novaHold: NovaPowerStateHold.Configuration = .init(),
    nodes makeNodes: ([BMCSpec]) -> [Node] = { specs in specs.enumerated().map { makeNode($0.offset, spec: $0.element) } },
    _ body: (ControllerHarness) async throws -> Void
) async throws {
    let (fleet, specs) = try await startFleet(count: count, customize: customize)
    // One registry per test, shared by the client and the controller as `ferrum serve` does.
    let metrics = ControllerMetrics()
    let client = BMCClient(configuration: clientConfiguration, metrics: metrics)
    let store = store ?? InMemoryStore()
    var logger = Logger(label: "test.controller")
    logger.logLevel = .critical
    let controller = PowerController(
        store: store, driver: BMCPowerDriver(client: client),
        configuration: PowerControllerConfiguration(powerSync: sync, powerAction: fastActions, syncWorkers: 64,
                                                    novaPowerStateHold: novaHold),
        logger: logger, metrics: metrics)
    do {
        try await client.start()
        try await controller.start()
        for node in makeNodes(specs) { try await controller.enroll(node) }
        let harness = ControllerHarness(fleet: fleet, specs: specs, client: client, store: store, controller: controller)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await controller.run() }
            do {
                try await body(harness)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    } catch {
        await client.shutdown()
        await fleet.shutdown()
        throw error
    }
    await client.shutdown()
    await fleet.shutdown()
}

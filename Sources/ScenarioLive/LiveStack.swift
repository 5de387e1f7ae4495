import Controller
import ControllerCore
import Foundation
import Logging
import Simulation
import VirtualBMC
import VirtualBMCCore

/// Everything a live run starts, on 127.0.0.1: the scenario's BMCs as a VirtualBMC fleet, the controller (one UDP
/// client socket, an in-memory store) with its HTTP API, the fake Nova running nova-compute against that API, and
/// the notifier. Node names and uuids are the engine's (`ScenarioWorld.nodeUUID(index:)`), so a scenario means the
/// same thing in both modes.
struct LiveStack {
    let fleet: Fleet
    let client: BMCClient
    let store: InMemoryStore
    let controller: PowerController
    let api: LoopbackServices.Running
    let novaServer: FakeNovaServer
    let nova: LoopbackServices.Running
    let notifier: NovaNotifier
    /// Releases power-state holds (`hold_power_state_until_applied`); the fake Nova's Ironic client says
    /// `nova-compute` in its User-Agent, so the noauth API treats its reads as Nova's.
    let confirmer: NovaPowerStateConfirmer
    /// Node names in fleet order, and each name's instance uuid (nil: no instance).
    let names: [String]
    let instances: [String: String]

    static let user = "admin", password = "password"

    /// Starts the parts in dependency order; whatever started is shut down again when a later part fails.
    static func start(_ scenario: Scenario, seed: UInt64, options: ScenarioWorldOptions) async throws -> LiveStack {
        var specs: [BMCSpec] = []
        var nodes: [Node] = []
        var rows: [FakeNovaInstance] = []
        var instances: [String: String] = [:]
        for group in scenario.fleet {
            for name in ScenarioNodeNames.names(of: group) {
                let index = nodes.count
                specs.append(BMCSpec(name: name, port: 0, powerOn: group.powerOn, timings: group.timings,
                                     faults: withNetwork(group.faults, scenario.network)))
                let instance = group.withInstances ? ScenarioWorld.instanceUUID(index: index) : nil
                let id = ScenarioWorld.nodeUUID(index: index)
                nodes.append(Node(id: id, name: name, driverInfo: DriverInfo(ipmiAddress: "127.0.0.1", ipmiUsername: user,
                                                                               ipmiPassword: password),
                                  powerState: group.powerOn ? .powerOn : .powerOff, provisionState: .active,
                                  instanceUUID: instance, createdAt: .epoch))
                if let instance {
                    instances[name] = instance
                    rows.append(FakeNovaInstance(uuid: instance, vmState: group.powerOn ? "active" : "stopped",
                                                 powerState: group.powerOn ? FakeNovaInstance.running : FakeNovaInstance.shutdown,
                                                 host: group.novaHost, node: id))
                }
            }
        }
        let fleet = try await Fleet.start(FleetConfiguration(seed: seed, management: nil, bmcs: specs))
        var logger = Logger(label: "ferrum.scenario.live")
        logger.logLevel = .critical
        let metrics = ControllerMetrics()
        let client = BMCClient(metrics: metrics)
        let store = InMemoryStore()
        let controller = PowerController(
            store: store, driver: BMCPowerDriver(client: client),
            configuration: PowerControllerConfiguration(powerSync: syncConfiguration(scenario.controller, options),
                                                        powerAction: options.powerAction, syncWorkers: options.syncWorkers,
                                                        novaPowerStateHold: .init(enabled: scenario.controller.holdPowerStateUntilApplied)),
            logger: logger, metrics: metrics)
        var started: [LoopbackServices.Running] = []
        do {
            try await client.start()
            try await controller.start()
            let ports = Dictionary(uniqueKeysWithValues: fleet.list().map { ($0.name, $0.port) })
            for var node in nodes {
                node.driverInfo.ipmiPort = UInt16(ports[node.name ?? ""] ?? 0)
                try await controller.enroll(node)
            }
            let api = try await LoopbackServices.startNodeAPI(controller, nova: nil)
            started.append(api)
            let novaServer = FakeNovaServer(fakeNova(scenario.nova, rows: rows, seed: seed),
                                            ironic: .init(baseURL: URL(string: api.base)!))
            let nova = try await LoopbackServices.startFakeNova(novaServer)
            started.append(nova)
            let notifier = LoopbackServices.keystoneNotifier(
                novaBase: nova.base, store: store, controller: controller,
                configuration: NovaNotifierConfiguration(enabled: scenario.controller.sendPowerNotifications,
                                                         batchWindow: scenario.controller.novaBatchWindow),
                logger: logger)
            let confirmer = NovaPowerStateConfirmer(holds: controller.novaHolds,
                                                    client: LoopbackServices.keystoneClient(novaBase: nova.base))
            return LiveStack(fleet: fleet, client: client, store: store, controller: controller, api: api,
                             novaServer: novaServer, nova: nova, notifier: notifier, confirmer: confirmer,
                             names: nodes.compactMap(\.name),
                             instances: instances)
        } catch {
            for server in started.reversed() {
                server.stop()
                _ = await server.task.result
            }
            await client.shutdown()
            await fleet.shutdown()
            throw error
        }
    }

    /// Stops every server and socket; safe after a failed run.
    func shutdown() async {
        nova.stop()
        api.stop()
        _ = await nova.task.result
        _ = await api.task.result
        await client.shutdown()
        await fleet.shutdown()
    }

    static func syncConfiguration(_ controller: ScenarioController, _ options: ScenarioWorldOptions) -> PowerSyncConfiguration {
        PowerSyncConfiguration(syncPowerStateInterval: controller.syncPowerStateInterval,
                               forcePowerStateDuringSync: controller.forcePowerStateDuringSync,
                               powerStateSyncMaxRetries: controller.powerStateSyncMaxRetries,
                               powerFailureRecoveryInterval: options.powerFailureRecoveryInterval)
    }

    /// The scenario's management network as BMC faults, where the BMC's own faults leave them unset: loopback has
    /// no loss or delay of its own. The engine delays each direction; a BMC fault delays the reply, so twice.
    /// Duplication and reordering have no BMC fault and are not applied.
    static func withNetwork(_ faults: FaultSpec, _ network: ScenarioNetwork) -> FaultSpec {
        var merged = faults
        if merged.packetLoss == 0 { merged.packetLoss = network.loss }
        if merged.latency == .zero { merged.latency = network.latency * 2 }
        if merged.jitter == .zero { merged.jitter = network.jitter * 2 }
        return merged
    }

    /// The fake Nova with one row per instance and nova-compute set up from `scenario.nova`.
    static func fakeNova(_ settings: ScenarioNova, rows: [FakeNovaInstance], seed: UInt64) -> FakeNova {
        var nova = FakeNova()
        for row in rows { nova.add(row) }
        var configuration = NovaCompute.Configuration()
        configuration.queued = true
        configuration.syncInterval = settings.syncInterval
        configuration.cacheRefreshInterval = settings.cacheRefreshInterval
        configuration.eventDelay = settings.eventDelay
        configuration.syncPoolSize = settings.syncPoolSize
        configuration.replicaLag = settings.replicaLag
        nova.compute = NovaCompute(configuration: configuration, seed: seed)
        nova.faults.latencyMilliseconds = Int(settings.apiLatency / .milliseconds(1))
        return nova
    }
}

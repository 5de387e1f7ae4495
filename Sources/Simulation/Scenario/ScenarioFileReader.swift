import ControllerCore
import VirtualBMCCore
import Yams

/// Reads a scenario file (docs/scenarios.md, "File format") into a `Scenario`. It reuses the fleet file's YAML
/// layer, so every error names its line and the key, unknown keys get a did-you-mean, and a BMC block's `timings:`
/// and `faults:` read exactly as in a fleet file. A bad file is an error, never a crash.
public enum ScenarioFileReader {
    public static func read(_ text: String, file: String) throws(ScenarioFileError) -> Scenario {
        do {
            return try readScenario(text, file: file)
        } catch {
            throw ScenarioFileError(file: file, error)
        }
    }

    /// The scenario's name when the file has no `name:`: its file name without directory or `.yaml`.
    public static func defaultName(forFile file: String) -> String {
        var name = file.split(separator: "/").last.map(String.init) ?? file
        for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        return name
    }

    static func readScenario(_ text: String, file: String) throws(FleetConfigurationError) -> Scenario {
        let node = try YAMLDocument.compose(text, emptyMessage: "the scenario file is empty; it needs at least "
            + "summary:, fleet: and timeline:")
        let top = try YAMLValue(node: node, key: "the scenario file").mapping(keys: ScenarioKeys.top,
                                                                             in: "the scenario file")
        let name = try top["name"]?.string() ?? defaultName(forFile: file)
        guard let summaryValue = top["summary"] else { throw top.error("a scenario needs summary: (one line)") }
        let summary = try summaryValue.string()
        guard let fleetValue = top["fleet"] else { throw top.error("a scenario needs fleet: (a list of node groups)") }
        let fleet = try readFleet(fleetValue)
        var scenario = Scenario(name: name, summary: summary, fleet: fleet, timeline: [])
        if let value = top["network"] { scenario.network = try readNetwork(value) }
        if let value = top["controller"] { scenario.controller = try readController(value) }
        if let value = top["nova"] { scenario.nova = try readNova(value) }
        guard let timelineValue = top["timeline"] else { throw top.error("a scenario needs timeline: (a list of steps)") }
        scenario.timeline = try readTimeline(timelineValue, fleet: fleet)
        if let value = top["invariants"] { scenario.invariants = try readInvariants(value) }
        if let value = top["seeds"] { scenario.seeds = try readSeeds(value) }
        if let value = top["settle"] { scenario.settle = try value.duration() }
        if let value = top["expect"] { scenario.expectation = try readExpectation(value, invariants: scenario.invariants) }
        return scenario
    }

    // MARK: Fleet

    static func readFleet(_ value: YAMLValue) throws(FleetConfigurationError) -> [ScenarioNodeGroup] {
        let items = try value.list()
        guard !items.isEmpty else { throw value.error("fleet: a scenario needs at least one node group") }
        var groups: [ScenarioNodeGroup] = []
        var prefixLines: [String: Int?] = [:]
        for item in items {
            let entry = try YAMLValue(node: item.node, key: "fleet entry").mapping(keys: ScenarioKeys.group,
                                                                                   in: "a fleet entry")
            var group = ScenarioNodeGroup()
            if let value = entry["prefix"] {
                group.prefix = try value.string()
                guard ScenarioNodeNames.isValidPrefix(group.prefix) else {
                    throw value.error("prefix: '\(group.prefix)' must be letters, digits, '.', '_' or '-', "
                        + "start with a letter and not end with '-' (nodes are named <prefix>-0001…)")
                }
            }
            if let first = prefixLines.updateValue(entry["prefix"]?.mark?.line ?? entry.mark?.line, forKey: group.prefix) {
                throw (entry["prefix"] ?? item).error("prefix '\(group.prefix)' names two node groups"
                    + (first.map { " (first at line \($0))" } ?? ""))
            }
            if let value = entry["count"] {
                group.count = try value.integer()
                guard (1...ScenarioNodeNames.maxCount).contains(group.count) else {
                    throw value.error("count: \(group.count) is out of range 1...\(ScenarioNodeNames.maxCount)")
                }
            }
            if let value = entry["power"] {
                switch try value.string() {
                case "on": group.powerOn = true
                case "off": group.powerOn = false
                case let other: throw value.error("power: must be on or off, got '\(other)'")
                }
            }
            if let value = entry["instances"] { group.withInstances = try value.bool() }
            if let value = entry["nova_host"] { group.novaHost = try value.string() }
            if let value = entry["timings"] { group.timings = try FleetFileReader.readTimings(value, over: group.timings) }
            if let value = entry["faults"] { group.faults = try FleetFileReader.readFaults(value, over: group.faults) }
            groups.append(group)
        }
        return groups
    }

    // MARK: Settings

    static func readNetwork(_ value: YAMLValue) throws(FleetConfigurationError) -> ScenarioNetwork {
        let mapping = try value.mapping(keys: ScenarioKeys.network, in: "network")
        var network = ScenarioNetwork()
        if let value = mapping["latency"] { network.latency = try value.duration() }
        if let value = mapping["jitter"] { network.jitter = try value.duration() }
        if let value = mapping["loss"] { network.loss = try value.probability() }
        if let value = mapping["duplication"] { network.duplication = try value.probability() }
        if let value = mapping["reordering"] { network.reordering = try value.probability() }
        return network
    }

    static func readController(_ value: YAMLValue) throws(FleetConfigurationError) -> ScenarioController {
        let mapping = try value.mapping(keys: ScenarioKeys.controller, in: "controller")
        var controller = ScenarioController()
        if let value = mapping["sync_power_state_interval"] {
            controller.syncPowerStateInterval = try value.positiveDuration()
        }
        if let value = mapping["force_power_state_during_sync"] { controller.forcePowerStateDuringSync = try value.bool() }
        if let value = mapping["power_state_sync_max_retries"] {
            controller.powerStateSyncMaxRetries = try value.integer()
            guard (0...100).contains(controller.powerStateSyncMaxRetries) else {
                throw value.error("power_state_sync_max_retries: \(controller.powerStateSyncMaxRetries) is out of range 0...100")
            }
        }
        if let value = mapping["send_power_notifications"] { controller.sendPowerNotifications = try value.bool() }
        if let value = mapping["nova_batch_window"] { controller.novaBatchWindow = try value.duration() }
        if let value = mapping["hold_power_state_until_applied"] {
            controller.holdPowerStateUntilApplied = try value.bool()
        }
        return controller
    }

    static func readNova(_ value: YAMLValue) throws(FleetConfigurationError) -> ScenarioNova {
        let mapping = try value.mapping(keys: ScenarioKeys.nova, in: "nova")
        var nova = ScenarioNova()
        if let value = mapping["sync_interval"] {
            nova.syncInterval = try value.isOff() ? nil : value.positiveDuration()
        }
        if let value = mapping["cache_refresh_interval"] { nova.cacheRefreshInterval = try value.positiveDuration() }
        if let value = mapping["event_delay"] { nova.eventDelay = try value.duration() }
        if let value = mapping["sync_pool_size"] {
            nova.syncPoolSize = try value.integer()
            guard (1...1000).contains(nova.syncPoolSize) else {
                throw value.error("sync_pool_size: \(nova.syncPoolSize) is out of range 1...1000")
            }
        }
        if let value = mapping["replica_lag"] { nova.replicaLag = try value.duration() }
        if let value = mapping["api_latency"] { nova.apiLatency = try value.duration() }
        return nova
    }
}

/// Every key a scenario file knows, in the order docs/scenarios.md lists them (and error messages too).
enum ScenarioKeys {
    static let top = ["name", "summary", "fleet", "network", "controller", "nova", "timeline", "invariants", "seeds",
                      "settle", "expect"]
    static let group = ["prefix", "count", "power", "instances", "nova_host", "timings", "faults"]
    static let network = ["latency", "jitter", "loss", "duplication", "reordering"]
    static let controller = ["sync_power_state_interval", "force_power_state_during_sync", "power_state_sync_max_retries",
                             "send_power_notifications", "nova_batch_window", "hold_power_state_until_applied"]
    static let nova = ["sync_interval", "cache_refresh_interval", "event_delay", "sync_pool_size", "replica_lag",
                       "api_latency"]
    static let step = ["at", "jitter", "action", "nodes", "faults", "password", "controller_updated"]
}

extension YAMLValue {
    func duration() throws(FleetConfigurationError) -> Duration {
        let text = try string()
        switch ScenarioDuration.parse(text) {
        case let .success(duration): return duration
        case let .failure(problem): throw error("\(key): \(problem.message(text))")
        }
    }

    func positiveDuration() throws(FleetConfigurationError) -> Duration {
        let value = try duration()
        guard value > .zero else { throw error("\(key): must be longer than 0") }
        return value
    }

    /// `off` (or `false`) for settings that can be switched off.
    func isOff() throws(FleetConfigurationError) -> Bool {
        guard case let .scalar(scalar) = node else { return false }
        return ["off", "false"].contains(scalar.string)
    }
}

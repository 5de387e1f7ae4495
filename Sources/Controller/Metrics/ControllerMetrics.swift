import ControllerCore
import CoreMetrics
import IPMI
import Metrics
import Prometheus
import Synchronization

/// Every metric the controller exports, created once over one registry and shared by the BMC client, the power
/// controller and its node actors (the SWIM `Metrics` shape). Each instance has its own registry, so tests and
/// several controllers in one process never share counters; `MetricsSystem.bootstrap` is not used (once per process).
///
/// Counters and histograms are updated where things happen; gauges that describe the fleet (nodes by power
/// state, sessions open) are computed at scrape time by the collectors the components register, so they are never
/// stale and cost nothing between scrapes.
public final class ControllerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    private let syncPassDuration: CoreMetrics.Timer
    private let syncPasses: CoreMetrics.Counter
    private let syncLastPassChecked: CoreMetrics.Gauge
    private let syncLastPassSkipped: CoreMetrics.Gauge
    private let syncLastPassFailures: CoreMetrics.Gauge
    /// Keyed by the `power_state` label value.
    private let nodes: [String: CoreMetrics.Gauge]
    private let nodesInMaintenance: CoreMetrics.Gauge
    private let bmcRequestDuration: CoreMetrics.Timer
    private let bmcRequestErrors: [BMCErrorKind: CoreMetrics.Counter]
    private let bmcSessionsOpen: CoreMetrics.Gauge
    private let powerActionsStarted: [PowerAction: CoreMetrics.Counter]
    private let powerActionsSucceeded: [PowerAction: CoreMetrics.Counter]
    private let powerActionsFailed: [PowerAction: CoreMetrics.Counter]
    private let novaEventsQueued: CoreMetrics.Counter
    private let novaEventsSent: CoreMetrics.Counter
    private let novaEventsFailed: [NovaEventFailure: CoreMetrics.Counter]
    private let novaBatchSize: CoreMetrics.Recorder
    private let novaConfigurationError: CoreMetrics.Gauge
    private let novaPowerStateHolds: CoreMetrics.Gauge
    private let collectors = Mutex<[@Sendable () async -> Void]>([])

    /// The `power_state` label values: Ironic's strings, and `none` for an unknown state.
    public static let powerStateLabels = PowerState.allCases.map(\.rawValue) + ["none"]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let factory = PrometheusFamilyFactory(registry: registry)
        func counters<Key: Hashable>(_ family: MetricFamily, _ keys: [Key], _ value: (Key) -> String) -> [Key: CoreMetrics.Counter] {
            // Every label value is registered up front, so each series reads 0 before its first event.
            Dictionary(uniqueKeysWithValues: keys.map { key in
                (key, CoreMetrics.Counter(label: family.name, dimensions: [(family.labels[0], value(key))], factory: factory))
            })
        }
        func gauge(_ family: MetricFamily) -> CoreMetrics.Gauge { CoreMetrics.Gauge(label: family.name, factory: factory) }

        syncPassDuration = CoreMetrics.Timer(label: MetricFamily.syncPassDuration.name, factory: factory)
        syncPasses = CoreMetrics.Counter(label: MetricFamily.syncPasses.name, factory: factory)
        syncLastPassChecked = gauge(.syncLastPassChecked)
        syncLastPassSkipped = gauge(.syncLastPassSkipped)
        syncLastPassFailures = gauge(.syncLastPassFailures)
        nodes = Dictionary(uniqueKeysWithValues: Self.powerStateLabels.map { state in
            (state, CoreMetrics.Gauge(label: MetricFamily.nodes.name, dimensions: [("power_state", state)], factory: factory))
        })
        nodesInMaintenance = gauge(.nodesInMaintenance)
        bmcRequestDuration = CoreMetrics.Timer(label: MetricFamily.bmcRequestDuration.name, factory: factory)
        bmcRequestErrors = counters(.bmcRequestErrors, BMCErrorKind.allCases, \.rawValue)
        bmcSessionsOpen = gauge(.bmcSessionsOpen)
        powerActionsStarted = counters(.powerActionsStarted, PowerAction.allCases, \.rawValue)
        powerActionsSucceeded = counters(.powerActionsSucceeded, PowerAction.allCases, \.rawValue)
        powerActionsFailed = counters(.powerActionsFailed, PowerAction.allCases, \.rawValue)
        novaEventsQueued = CoreMetrics.Counter(label: MetricFamily.novaEventsQueued.name, factory: factory)
        novaEventsSent = CoreMetrics.Counter(label: MetricFamily.novaEventsSent.name, factory: factory)
        novaEventsFailed = counters(.novaEventsFailed, NovaEventFailure.allCases, \.rawValue)
        novaBatchSize = CoreMetrics.Recorder(label: MetricFamily.novaBatchSize.name, factory: factory)
        novaConfigurationError = gauge(.novaConfigurationError)
        novaPowerStateHolds = gauge(.novaPowerStateHolds)
        novaConfigurationError.record(0)
    }

    // MARK: Scraping

    /// Registers work to run before each scrape (setting fleet gauges). Collectors hold their component weakly.
    public func addCollector(_ collect: @escaping @Sendable () async -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// Runs the collectors, then renders every family in Prometheus text format (0.0.4).
    public func scrape() async -> [UInt8] {
        for collect in collectors.withLock({ $0 }) { await collect() }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    // MARK: Sync and nodes

    func recordSyncPass(_ report: SyncPassReport) {
        syncPasses.increment()
        syncPassDuration.record(duration: report.duration)
        syncLastPassChecked.record(report.checked)
        syncLastPassSkipped.record(report.skipped)
        syncLastPassFailures.record(report.readFailures + report.enteredMaintenance)
    }

    func recordNodes(_ all: [Node]) {
        var counts: [String: Int] = [:]
        var maintenance = 0
        for node in all {
            counts[node.powerState?.rawValue ?? "none", default: 0] += 1
            if node.maintenance { maintenance += 1 }
        }
        for (state, gauge) in nodes { gauge.record(counts[state] ?? 0) }
        nodesInMaintenance.record(maintenance)
    }

    // MARK: BMC client

    /// One request that went on the wire, from its start to its answer (any completion code) or failure.
    func recordBMCRequest(after duration: Duration, _ result: Result<IPMIResponse, ConsoleError>) {
        bmcRequestDuration.record(duration: duration)
        switch result {
        case .success(let response):
            if response.completionCode != .ok { bmcRequestErrors[.completionCode]?.increment() }
        case .failure(let error):
            bmcRequestErrors[BMCErrorKind(error)]?.increment()
        }
    }

    /// A request refused before it was sent.
    func recordBMCRequestRefused(_ kind: BMCErrorKind) {
        bmcRequestErrors[kind]?.increment()
    }

    func recordSessionsOpen(_ count: Int) {
        bmcSessionsOpen.record(count)
    }

    // MARK: Power actions and the outbox

    func recordPowerActionStarted(_ action: PowerAction) {
        powerActionsStarted[action]?.increment()
    }

    func recordPowerActionFinished(_ action: PowerAction, _ result: PowerActionResult) {
        switch result {
        case .succeeded, .alreadyInState: powerActionsSucceeded[action]?.increment()
        case .failed: powerActionsFailed[action]?.increment()
        }
    }

    func recordNovaEventsQueued(_ count: Int) {
        if count > 0 { novaEventsQueued.increment(by: count) }
    }

    // MARK: Nova notifier (issue 6)

    /// Nodes held for Nova's reads (docs/nova-notifier.md, "Closing the race").
    public func recordNovaPowerStateHolds(_ count: Int) { novaPowerStateHolds.record(count) }

    /// Nova refuses the notifier until an operator acts (set), or accepts it again (cleared).
    public func recordNovaConfigurationError(_ present: Bool) {
        novaConfigurationError.record(present ? 1 : 0)
    }

    /// One request to Nova carrying `size` events.
    public func recordNovaBatch(size: Int) {
        novaBatchSize.record(size)
    }

    public func recordNovaEventsSent(_ count: Int) {
        novaEventsSent.increment(by: count)
    }

    public func recordNovaEventsFailed(_ count: Int, reason: NovaEventFailure) {
        novaEventsFailed[reason]?.increment(by: count)
    }
}

extension BMCErrorKind {
    init(_ error: ConsoleError) {
        switch error {
        case .timeout: self = .timeout
        case .unknownUser, .wrongPassword, .wrongBMCKey, .insufficientPrivilege: self = .credentials
        case .completionCode: self = .completionCode
        case .unsupportedCipherSuite, .rmcpPlusNotSupported, .handshakeRejected, .sessionClosed: self = .session
        case .protocolViolation: self = .other
        }
    }
}

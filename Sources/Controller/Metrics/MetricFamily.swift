/// One exported metric family: its name, type, label names and HELP text, and for histograms the bucket bounds.
/// The catalogue below is the single list `docs/metrics.md` documents and the factory registers.
public struct MetricFamily: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case counter, gauge, histogram
    }

    public let name: String
    public let kind: Kind
    public let labels: [String]
    public let help: String
    /// Histogram upper bounds, in seconds for `_seconds` families and as plain numbers otherwise.
    public let buckets: [Double]

    init(_ name: String, _ kind: Kind, labels: [String] = [], buckets: [Double] = [], help: String) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.help = help
        self.buckets = buckets
    }
}

extension MetricFamily {
    // Sync passes run from well under a second (1,000 nodes) to minutes (slow BMCs, few workers).
    public static let syncPassDuration = MetricFamily(
        "ferrum_sync_pass_duration_seconds", .histogram, buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
        help: "Duration of a power state sync pass.")
    public static let syncPasses = MetricFamily("ferrum_sync_passes_total", .counter, help: "Power state sync passes run.")
    public static let syncLastPassChecked = MetricFamily(
        "ferrum_sync_last_pass_checked", .gauge, help: "Nodes whose BMC the last sync pass read.")
    public static let syncLastPassSkipped = MetricFamily(
        "ferrum_sync_last_pass_skipped", .gauge, help: "Nodes the last sync pass skipped (maintenance, action, state).")
    public static let syncLastPassFailures = MetricFamily(
        "ferrum_sync_last_pass_failures", .gauge, help: "Nodes whose BMC could not be read in the last sync pass.")

    public static let nodes = MetricFamily(
        "ferrum_nodes", .gauge, labels: ["power_state"], help: "Nodes by recorded power state (none: unknown).")
    public static let nodesInMaintenance = MetricFamily(
        "ferrum_nodes_maintenance", .gauge, help: "Nodes in maintenance.")

    // A LAN round trip is milliseconds; a dead BMC costs the whole retransmission schedule (seconds).
    public static let bmcRequestDuration = MetricFamily(
        "ferrum_bmc_request_duration_seconds", .histogram,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        help: "Time from sending a BMC request (opening a session if needed) to its answer or failure.")
    public static let bmcRequestErrors = MetricFamily(
        "ferrum_bmc_request_errors_total", .counter, labels: ["kind"], help: "BMC requests that failed, by kind.")
    public static let bmcSessionsOpen = MetricFamily(
        "ferrum_bmc_sessions_open", .gauge, help: "BMCs with an RMCP+ session open or opening.")

    public static let powerActionsStarted = MetricFamily(
        "ferrum_power_actions_started_total", .counter, labels: ["action"], help: "Power actions started (user or sync).")
    public static let powerActionsSucceeded = MetricFamily(
        "ferrum_power_actions_succeeded_total", .counter, labels: ["action"], help: "Power actions that reached their target.")
    public static let powerActionsFailed = MetricFamily(
        "ferrum_power_actions_failed_total", .counter, labels: ["action"], help: "Power actions that failed.")

    public static let novaEventsQueued = MetricFamily(
        "ferrum_nova_events_queued_total", .counter, help: "Nova power-update events committed to the outbox.")
    public static let novaEventsSent = MetricFamily(
        "ferrum_nova_events_sent_total", .counter, help: "Nova power-update events Nova accepted.")
    public static let novaEventsFailed = MetricFamily(
        "ferrum_nova_events_failed_total", .counter, labels: ["reason"], help: "Nova power-update events not delivered.")
    public static let novaBatchSize = MetricFamily(
        "ferrum_nova_batch_size", .histogram, buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        help: "Events per request to Nova's os-server-external-events.")
    public static let novaConfigurationError = MetricFamily(
        "ferrum_nova_configuration_error", .gauge,
        help: "1 while Nova refuses the notifier for a configuration reason (403, 406, other 4xx), else 0.")

    public static let novaPowerStateHolds = MetricFamily(
        "ferrum_nova_power_state_holds", .gauge,
        help: "Nodes whose power state Nova's own reads see as Nova last agreed, until Nova applies the event.")

    public static let all: [MetricFamily] = [
        syncPassDuration, syncPasses, syncLastPassChecked, syncLastPassSkipped, syncLastPassFailures,
        nodes, nodesInMaintenance,
        bmcRequestDuration, bmcRequestErrors, bmcSessionsOpen,
        powerActionsStarted, powerActionsSucceeded, powerActionsFailed,
        novaEventsQueued, novaEventsSent, novaEventsFailed, novaBatchSize, novaConfigurationError, novaPowerStateHolds,
    ]
}

/// The `kind` label of `ferrum_bmc_request_errors_total`.
public enum BMCErrorKind: String, Hashable, Sendable, CaseIterable {
    /// No answer after every retransmission.
    case timeout
    /// Unknown user, wrong password or BMC key, privilege refused.
    case credentials
    /// The BMC answered with a completion code other than 00.
    case completionCode = "completion_code"
    /// Not sent: the endpoint is backing off after a credentials failure.
    case backingOff = "backing_off"
    /// The session could not be set up or was lost (cipher suites, RMCP+, handshake refused, closed).
    case session
    case other
}

/// The `reason` label of `ferrum_nova_events_failed_total`, after Nova's answers (nova.md §1.5-1.6).
public enum NovaEventFailure: String, Hashable, Sendable, CaseIterable {
    /// Per-event 404: no such instance.
    case notFound = "not_found"
    /// Per-event 422: the instance has no host.
    case noHost = "no_host"
    /// The whole request refused with a 4xx (400, 401, 403, 406, 415).
    case rejected
    /// Nova answered 5xx.
    case serverError = "server_error"
    /// No answer: connection refused, reset or timed out.
    case unreachable
}

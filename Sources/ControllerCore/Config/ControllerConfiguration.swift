/// The controller's config file, typed: one nested value per section, each option named as in the file
/// (docs/configuration.md). Defaults are Ironic's except where the docs say why not.
public struct ControllerConfiguration: Hashable, Sendable {
    /// `[DEFAULT]`
    public struct General: Hashable, Sendable {
        public var debug = false
        public var logFormat = LogFormat.text
        /// Ironic's `auth_strategy`, without keystone: `noauth` is only allowed on a loopback `[api] host_ip`.
        public var authStrategy = AuthStrategy.noauth
        /// Ironic's `http_basic_auth_user_file`: an htpasswd file with bcrypt hashes.
        public var httpBasicAuthUserFile = "/etc/ferrum/htpasswd"
        public init() {}
    }

    public enum AuthStrategy: String, Hashable, Sendable, CaseIterable {
        case noauth
        case httpBasic = "http_basic"
    }

    public enum LogFormat: String, Hashable, Sendable, CaseIterable {
        case text, json
    }

    /// `[conductor]`: the power sync, recovery and power action timing.
    public struct Conductor: Hashable, Sendable {
        public var syncPowerStateInterval = Duration.seconds(120)
        public var forcePowerStateDuringSync = true
        public var powerStateSyncMaxRetries = 3
        public var powerFailureRecoveryInterval = Duration.seconds(300)
        public var powerStateChangeTimeout = Duration.seconds(60)
        public var softPowerOffTimeout = Duration.seconds(600)
        /// Nodes checked at once by async tasks. Ironic's threads cost memory each; tasks waiting on UDP do not.
        public var syncPowerStateWorkers = 1000
        public init() {}
    }

    /// `[ipmi]`: the BMC client's settings, as plain values so this module stays free of the client.
    public struct IPMI: Hashable, Sendable {
        /// Per endpoint (address and port). Zero, unlike Ironic's 5 s: see docs/configuration.md.
        public var minCommandInterval = Duration.zero
        public var retransmitInterval = Duration.seconds(1)
        public var retransmitAttempts = 4
        public var maxInFlight = 256
        public var credentialBackoff = Duration.seconds(30)
        public var maxCredentialBackoff = Duration.seconds(1800)
        public var keepaliveInterval = Duration.seconds(25)
        /// One RMCP+ session kept per BMC; false opens one per command, as ipmitool does.
        public var persistentSessions = true
        public init() {}
    }

    /// `[database]`
    public struct Database: Hashable, Sendable {
        /// The URL as written.
        public var connection = "sqlite:////var/lib/ferrum/ferrum.sqlite"
        /// The SQLite file it names, relative URLs resolved against the config file's directory.
        public var path = "/var/lib/ferrum/ferrum.sqlite"
        public init() {}
    }

    /// `[api]`
    public struct API: Hashable, Sendable {
        /// Loopback, not Ironic's 0.0.0.0: the API has no authentication yet.
        public var hostIP = "127.0.0.1"
        public var port = 6385
        public init() {}
    }

    /// `[nova]`
    public struct Nova: Hashable, Sendable {
        /// keystoneauth's plugin names; `none` talks to `endpoint_override` without a token.
        public enum AuthType: String, Hashable, Sendable, CaseIterable {
            case password
            case v3applicationcredential
            case none
        }

        public var sendPowerNotifications = true
        /// Unset: no notifier runs (events stay pending in the outbox until it is configured).
        public var authType: AuthType?
        public var authURL: String?
        public var username: String?
        public var password: String?
        public var projectName: String?
        public var userDomainName = "Default"
        public var projectDomainName = "Default"
        public var applicationCredentialID: String?
        public var applicationCredentialSecret: String?
        public var regionName: String?
        /// Catalog interfaces in preference order.
        public var validInterfaces = ["internal", "public"]
        public var endpointOverride: String?
        public var cafile: String?
        public var timeout = Duration.seconds(30)
        /// How long the first event waits for others before a request goes out.
        public var batchWindow = Duration.milliseconds(100)
        /// While changes keep arriving, a batch short of a full request waits window after window, up to this long.
        public var batchMaxDelay = Duration.seconds(1)
        /// Nova's own reads of a node show the power state Nova last agreed with until Nova shows the event applied
        /// (nova.md §3.6: otherwise Nova's periodic sync can undo an operator's power change).
        public var holdPowerStateUntilApplied = false
        /// A hold ends after this long even if Nova never shows the event applied.
        public var holdMaximum = Duration.seconds(120)
        /// `http_basic` users that are Nova's service users; their requests count as Nova's.
        public var novaAPIUsers = ["nova"]
        public init() {}
    }

    public var general = General()
    public var conductor = Conductor()
    public var ipmi = IPMI()
    public var database = Database()
    public var api = API()
    public var nova = Nova()

    public init() {}

    /// Every option at its default. The default database URL is absolute, so `baseDirectory` only matters once
    /// a relative one is set; it is taken so callers need not know that.
    public static func defaults(baseDirectory: String) -> ControllerConfiguration { ControllerConfiguration() }

    public var databasePath: String { database.path }

    public var powerSync: PowerSyncConfiguration {
        PowerSyncConfiguration(
            syncPowerStateInterval: conductor.syncPowerStateInterval,
            forcePowerStateDuringSync: conductor.forcePowerStateDuringSync,
            powerStateSyncMaxRetries: conductor.powerStateSyncMaxRetries,
            powerFailureRecoveryInterval: conductor.powerFailureRecoveryInterval
        )
    }

    public var powerAction: PowerActionConfiguration {
        PowerActionConfiguration(
            powerStateChangeTimeout: conductor.powerStateChangeTimeout,
            softPowerOffTimeout: conductor.softPowerOffTimeout
        )
    }
}

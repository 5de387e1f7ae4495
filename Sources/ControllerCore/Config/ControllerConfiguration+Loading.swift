/// One option the file may set: where it lives and how its text becomes a typed value.
struct ConfigOption {
    typealias Apply = (inout ControllerConfiguration, String, _ baseDirectory: String) throws(ValueProblem) -> Void
    typealias Field<Value> = WritableKeyPath<ControllerConfiguration, Value>
    let section: String
    let name: String
    let apply: Apply

    static func parsed<Value>(_ section: String, _ name: String, _ field: Field<Value>,
                              _ parse: @escaping (String) throws(ValueProblem) -> Value) -> ConfigOption {
        ConfigOption(section: section, name: name) { configuration, text, _ throws(ValueProblem) in
            configuration[keyPath: field] = try parse(text)
        }
    }

    static func bool(_ section: String, _ name: String, _ field: Field<Bool>) -> ConfigOption {
        parsed(section, name, field, ConfigValue.bool)
    }

    static func integer(_ section: String, _ name: String, _ field: Field<Int>, min: Int,
                        max: Int = .max) -> ConfigOption {
        parsed(section, name, field) { text throws(ValueProblem) in try ConfigValue.integer(text, min: min, max: max) }
    }

    /// A string option that is unset until the file gives it a (non-empty) value.
    static func text(_ section: String, _ name: String, _ field: Field<String?>) -> ConfigOption {
        parsed(section, name, field) { text throws(ValueProblem) in try ConfigValue.nonEmpty(text) }
    }

    static func wholeSeconds(_ section: String, _ name: String, _ field: Field<Duration>, min: Int) -> ConfigOption {
        parsed(section, name, field) { text throws(ValueProblem) in try ConfigValue.wholeSeconds(text, min: min) }
    }

    static func seconds(_ section: String, _ name: String, _ field: Field<Duration>, min: Double) -> ConfigOption {
        parsed(section, name, field) { text throws(ValueProblem) in try ConfigValue.seconds(text, min: min) }
    }
}

extension ControllerConfiguration {
    /// In file order; the docs' sample follows it.
    static let sectionNames = ["DEFAULT", "conductor", "ipmi", "database", "api", "nova"]

    /// Every option the file may set; anything else is refused, so a typo cannot silently leave a default.
    /// Values below 1 ms are refused where zero would mean "no wait at all" to the BMC client.
    static var options: [ConfigOption] {
        [
            .bool("DEFAULT", "debug", \.general.debug),
            .parsed("DEFAULT", "log_format", \.general.logFormat) { text throws(ValueProblem) in
                try ConfigValue.choice(text, LogFormat.self)
            },
            .parsed("DEFAULT", "auth_strategy", \.general.authStrategy) { text throws(ValueProblem) in
                try ConfigValue.choice(text, AuthStrategy.self)
            },
            ConfigOption(section: "DEFAULT", name: "http_basic_auth_user_file") { configuration, text, base throws(ValueProblem) in
                guard !text.isEmpty else { throw ValueProblem(message: "has no value") }
                configuration.general.httpBasicAuthUserFile = text.hasPrefix("/") || base.isEmpty ? text : base + "/" + text
            },
            .wholeSeconds("conductor", "sync_power_state_interval", \.conductor.syncPowerStateInterval, min: 0),
            .bool("conductor", "force_power_state_during_sync", \.conductor.forcePowerStateDuringSync),
            .integer("conductor", "power_state_sync_max_retries", \.conductor.powerStateSyncMaxRetries, min: 0),
            .wholeSeconds("conductor", "power_failure_recovery_interval", \.conductor.powerFailureRecoveryInterval,
                          min: 0),
            .wholeSeconds("conductor", "power_state_change_timeout", \.conductor.powerStateChangeTimeout, min: 1),
            .wholeSeconds("conductor", "soft_power_off_timeout", \.conductor.softPowerOffTimeout, min: 1),
            .integer("conductor", "sync_power_state_workers", \.conductor.syncPowerStateWorkers, min: 1),
            .seconds("ipmi", "min_command_interval", \.ipmi.minCommandInterval, min: 0),
            .seconds("ipmi", "retransmit_interval", \.ipmi.retransmitInterval, min: 0.001),
            .integer("ipmi", "retransmit_attempts", \.ipmi.retransmitAttempts, min: 1),
            .integer("ipmi", "max_in_flight", \.ipmi.maxInFlight, min: 1),
            .seconds("ipmi", "credential_backoff", \.ipmi.credentialBackoff, min: 0),
            .seconds("ipmi", "max_credential_backoff", \.ipmi.maxCredentialBackoff, min: 0),
            .seconds("ipmi", "keepalive_interval", \.ipmi.keepaliveInterval, min: 0.001),
            .bool("ipmi", "persistent_sessions", \.ipmi.persistentSessions),
            ConfigOption(section: "database", name: "connection") { configuration, text, base throws(ValueProblem) in
                configuration.database.path = try ConfigValue.sqlitePath(text, baseDirectory: base)
                configuration.database.connection = text
            },
            .parsed("api", "host_ip", \.api.hostIP, ConfigValue.host),
            .integer("api", "port", \.api.port, min: 1, max: 65535),
            .bool("nova", "send_power_notifications", \.nova.sendPowerNotifications),
            .parsed("nova", "auth_type", \.nova.authType) { text throws(ValueProblem) in
                try ConfigValue.choice(text, Nova.AuthType.self)
            },
            .text("nova", "auth_url", \.nova.authURL),
            .text("nova", "username", \.nova.username),
            .text("nova", "password", \.nova.password),
            .text("nova", "project_name", \.nova.projectName),
            .parsed("nova", "user_domain_name", \.nova.userDomainName, ConfigValue.nonEmpty),
            .parsed("nova", "project_domain_name", \.nova.projectDomainName, ConfigValue.nonEmpty),
            .text("nova", "application_credential_id", \.nova.applicationCredentialID),
            .text("nova", "application_credential_secret", \.nova.applicationCredentialSecret),
            .text("nova", "region_name", \.nova.regionName),
            .parsed("nova", "valid_interfaces", \.nova.validInterfaces, ConfigValue.names),
            .text("nova", "endpoint_override", \.nova.endpointOverride),
            ConfigOption(section: "nova", name: "cafile") { configuration, text, base throws(ValueProblem) in
                guard !text.isEmpty else { throw ValueProblem(message: "has no value") }
                // Relative to the config file, as http_basic_auth_user_file.
                configuration.nova.cafile = text.hasPrefix("/") || base.isEmpty ? text : base + "/" + text
            },
            .wholeSeconds("nova", "timeout", \.nova.timeout, min: 1),
            .seconds("nova", "batch_window", \.nova.batchWindow, min: 0),
            .seconds("nova", "batch_max_delay", \.nova.batchMaxDelay, min: 0),
            .bool("nova", "hold_power_state_until_applied", \.nova.holdPowerStateUntilApplied),
            .wholeSeconds("nova", "hold_maximum", \.nova.holdMaximum, min: 1),
            .parsed("nova", "nova_api_users", \.nova.novaAPIUsers, ConfigValue.names),
        ]
    }

    /// Ironic options that have no equivalent here, with what to use instead.
    static let ironicHints: [String: String] = [
        "DEFAULT use_json": "oslo.log's use_json is log_format = json here",
        "conductor periodic_max_workers": "sync_power_state_workers alone bounds concurrent checks here",
        "ipmi command_retry_timeout": "retries are bounded by retransmit_interval and retransmit_attempts here",
        "ipmi use_ipmitool_retries": "the controller always retries itself: see retransmit_interval",
    ]

    /// Reads the file's text. `baseDirectory` is the config file's directory, for relative SQLite paths. Stops at
    /// the first problem; any input gives a configuration or an error, never a crash.
    public static func load(text: String, baseDirectory: String) throws(ConfigurationError) -> ControllerConfiguration {
        let file = try ConfigFile(parsing: text)
        let options = Self.options
        var configuration = defaults(baseDirectory: baseDirectory)
        var setOn: [String: Int] = [:]
        for section in file.sections {
            guard sectionNames.contains(section.name) else { throw unknownSection(section) }
            for entry in section.entries {
                guard let option = options.first(where: { $0.section == section.name && $0.name == entry.key }) else {
                    throw unknownOption(entry, in: section.name, options: options)
                }
                let key = section.name + " " + entry.key
                if let first = setOn[key] {
                    throw ConfigurationError(line: entry.line, section: section.name, option: entry.key,
                                             message: "set twice; it was already set on line \(first)")
                }
                setOn[key] = entry.line
                do {
                    try option.apply(&configuration, entry.value, baseDirectory)
                } catch {
                    throw ConfigurationError(line: entry.line, section: section.name, option: entry.key,
                                             message: error.message + ConfigValue.commentHint(entry.value))
                }
            }
        }
        try checkCredentialBackoff(configuration, setOn: setOn)
        try checkAuthentication(configuration, setOn: setOn)
        try checkNovaAuth(configuration, setOn: setOn)
        try checkPowerStateHold(configuration, setOn: setOn)
        return configuration
    }

    /// A hold ends when Nova shows the event applied, which only the notifier can learn: without it every hold
    /// would last `hold_maximum`.
    private static func checkPowerStateHold(_ c: ControllerConfiguration, setOn: [String: Int]) throws(ConfigurationError) {
        guard c.nova.holdPowerStateUntilApplied else { return }
        let why = !c.nova.sendPowerNotifications ? "send_power_notifications = false"
            : c.nova.authType == nil ? "auth_type is not set" : nil
        guard let why else { return }
        throw ConfigurationError(line: setOn["nova hold_power_state_until_applied"], section: "nova",
                                 option: "hold_power_state_until_applied",
                                 message: "needs the Nova notifier, but \(why): a hold is released when Nova shows "
                                     + "the power-update applied, and only the notifier asks Nova")
    }

    /// An API without authentication may only listen on loopback (Ironic's advice for noauth, enforced here).
    private static func checkAuthentication(_ c: ControllerConfiguration, setOn: [String: Int]) throws(ConfigurationError) {
        guard c.general.authStrategy == .noauth, !ConfigValue.isLoopback(c.api.hostIP) else { return }
        throw ConfigurationError(line: setOn["api host_ip"], section: "api", option: "host_ip",
                                 message: "\(c.api.hostIP) is not a loopback address, and auth_strategy is noauth: "
                                     + "set [DEFAULT] auth_strategy = http_basic to listen beyond this machine")
    }

    /// The options each `[nova] auth_type` needs, so a half-configured notifier fails at start, not at first use.
    private static func checkNovaAuth(_ c: ControllerConfiguration, setOn: [String: Int]) throws(ConfigurationError) {
        guard let type = c.nova.authType else { return }
        let needed: [(String, String?)] = switch type {
        case .none: [("endpoint_override", c.nova.endpointOverride)]
        case .password: [("auth_url", c.nova.authURL), ("username", c.nova.username), ("password", c.nova.password),
                         ("project_name", c.nova.projectName)]
        case .v3applicationcredential: [("auth_url", c.nova.authURL), ("application_credential_id", c.nova.applicationCredentialID),
                                        ("application_credential_secret", c.nova.applicationCredentialSecret)]
        }
        guard let missing = needed.first(where: { $0.1 == nil }) else { return }
        throw ConfigurationError(line: setOn["nova auth_type"], section: "nova", option: "auth_type",
                                 message: "auth_type = \(type.rawValue) needs \(missing.0), which is not set")
    }

    private static func checkCredentialBackoff(_ c: ControllerConfiguration,
                                               setOn: [String: Int]) throws(ConfigurationError) {
        let start = ConfigValue.secondsText(c.ipmi.credentialBackoff)
        let cap = ConfigValue.secondsText(c.ipmi.maxCredentialBackoff)
        guard c.ipmi.maxCredentialBackoff < c.ipmi.credentialBackoff else { return }
        // Blame the line that set the bound the other one contradicts: the cap if it was written, else the start.
        if let line = setOn["ipmi max_credential_backoff"] {
            throw ConfigurationError(line: line, section: "ipmi", option: "max_credential_backoff",
                                     message: "\(cap) is less than credential_backoff (\(start)), "
                                         + "where the back-off starts")
        }
        throw ConfigurationError(line: setOn["ipmi credential_backoff"], section: "ipmi", option: "credential_backoff",
                                 message: "\(start) is more than max_credential_backoff (\(cap), the default), "
                                     + "where the back-off stops")
    }

    private static func unknownSection(_ section: ConfigFile.Section) -> ConfigurationError {
        let advice = ConfigValue.closestName(to: section.name, among: sectionNames).map { "did you mean [\($0)]?" }
            ?? "the sections are " + sectionNames.map { "[\($0)]" }.joined(separator: ", ")
        return ConfigurationError(line: section.line, section: section.name, message: "unknown section; " + advice)
    }

    private static func unknownOption(_ entry: ConfigFile.Entry, in section: String, options: [ConfigOption])
        -> ConfigurationError {
        let here = options.filter { $0.section == section }.map(\.name)
        let advice: String
        if let hint = ironicHints[section + " " + entry.key] {
            advice = hint
        } else if let elsewhere = options.first(where: {
            $0.section != section && ConfigValue.sameName($0.name, entry.key)
        }) {
            let name = elsewhere.name
            advice = (name == entry.key ? "it" : "did you mean \(name)? It") + " belongs in [\(elsewhere.section)]"
        } else if let close = ConfigValue.closestName(to: entry.key, among: here) {
            advice = "did you mean \(close)?"
        } else {
            advice = "[\(section)] has " + here.joined(separator: ", ")
        }
        return ConfigurationError(line: entry.line, section: section, option: entry.key,
                                  message: "unknown option; " + advice)
    }
}

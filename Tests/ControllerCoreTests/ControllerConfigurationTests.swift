import ControllerCore
import Testing

/// The config file: INI syntax, typed options, Ironic's names and defaults, and errors that name their line.
@Suite struct ControllerConfigurationTests {
    /// docs/configuration.md's sample, kept identical: every option at its default.
    static let sample = """
        # ferrum.conf: every option at its default.

        [DEFAULT]
        debug = false
        log_format = text
        auth_strategy = noauth
        http_basic_auth_user_file = /etc/ferrum/htpasswd

        [conductor]
        sync_power_state_interval = 120
        force_power_state_during_sync = true
        power_state_sync_max_retries = 3
        power_failure_recovery_interval = 300
        power_state_change_timeout = 60
        soft_power_off_timeout = 600
        sync_power_state_workers = 1000

        [ipmi]
        min_command_interval = 0.0
        retransmit_interval = 1.0
        retransmit_attempts = 4
        max_in_flight = 256
        credential_backoff = 30
        max_credential_backoff = 1800
        keepalive_interval = 25
        persistent_sessions = true

        [database]
        connection = sqlite:////var/lib/ferrum/ferrum.sqlite

        [api]
        host_ip = 127.0.0.1
        port = 6385

        [nova]
        send_power_notifications = true
        user_domain_name = Default
        project_domain_name = Default
        valid_interfaces = internal,public
        timeout = 30
        batch_window = 0.1
        batch_max_delay = 1.0
        hold_power_state_until_applied = false
        hold_maximum = 120
        nova_api_users = nova

        """

    func load(_ text: String, base: String = "/etc/ferrum") throws(ConfigurationError) -> ControllerConfiguration {
        try ControllerConfiguration.load(text: text, baseDirectory: base)
    }

    /// The error `text` gives; records an issue when it loads.
    func failure(_ text: String, base: String = "/etc/ferrum") -> ConfigurationError? {
        do {
            _ = try load(text, base: base)
            Issue.record("loaded without error:\n\(text)")
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAreIronicsExceptWhereDocumented() {
        let config = ControllerConfiguration.defaults(baseDirectory: "/etc/ferrum")
        #expect(config.powerSync == PowerSyncConfiguration())
        #expect(config.powerAction == PowerActionConfiguration())
        #expect(config.conductor.powerStateChangeTimeout == .seconds(60))
        #expect(config.conductor.softPowerOffTimeout == .seconds(600))
        #expect(config.conductor.syncPowerStateWorkers == 1000)
        #expect(config.ipmi.minCommandInterval == .zero)
        #expect(config.ipmi.retransmitInterval == .seconds(1))
        #expect(config.ipmi.retransmitAttempts == 4)
        #expect(config.ipmi.maxInFlight == 256)
        #expect(config.ipmi.credentialBackoff == .seconds(30))
        #expect(config.ipmi.maxCredentialBackoff == .seconds(1800))
        #expect(config.ipmi.keepaliveInterval == .seconds(25))
        #expect(config.ipmi.persistentSessions)
        #expect(config.databasePath == "/var/lib/ferrum/ferrum.sqlite")
        #expect(config.api.hostIP == "127.0.0.1")
        #expect(config.api.port == 6385)
        #expect(!config.general.debug)
        #expect(config.general.logFormat == .text)
        #expect(config.nova.sendPowerNotifications)
        #expect(!config.nova.holdPowerStateUntilApplied)
        #expect(config.nova.holdMaximum == .seconds(120))
        #expect(config.nova.novaAPIUsers == ["nova"])
    }

    @Test func thePowerStateHoldOptions() throws {
        let config = try load("""
            [nova]
            auth_type = none
            endpoint_override = http://127.0.0.1:8774/v2.1
            hold_power_state_until_applied = true
            hold_maximum = 30
            nova_api_users = nova, nova-ironic ,
            """)
        #expect(config.nova.holdPowerStateUntilApplied)
        #expect(config.nova.holdMaximum == .seconds(30))
        #expect(config.nova.novaAPIUsers == ["nova", "nova-ironic"])
    }

    @Test func anEmptyFileAndTheSampleBothGiveTheDefaults() throws {
        let defaults = ControllerConfiguration.defaults(baseDirectory: "/etc/ferrum")
        #expect(try load("") == defaults)
        #expect(try load(Self.sample) == defaults)
    }

    @Test func aFullFileSetsEveryField() throws {
        let config = try load("""
            [DEFAULT]
            debug = yes
            log_format = json
            [conductor]
            sync_power_state_interval = 0
            force_power_state_during_sync = false
            power_state_sync_max_retries = 0
            power_failure_recovery_interval = 45
            power_state_change_timeout = 2
            soft_power_off_timeout = 90
            sync_power_state_workers = 64
            [ipmi]
            min_command_interval = 0.25
            retransmit_interval = 0.5
            retransmit_attempts = 7
            max_in_flight = 32
            credential_backoff = 5
            max_credential_backoff = 5
            keepalive_interval = 12.5
            persistent_sessions = off
            [database]
            connection = sqlite:///state/ferrum.sqlite
            [api]
            host_ip = ::1
            port = 8080
            [nova]
            send_power_notifications = 0
            """)
        #expect(config.general.debug && config.general.logFormat == .json)
        #expect(config.powerSync == PowerSyncConfiguration(
            syncPowerStateInterval: .zero,
            forcePowerStateDuringSync: false,
            powerStateSyncMaxRetries: 0,
            powerFailureRecoveryInterval: .seconds(45)
        ))
        #expect(config.powerAction == PowerActionConfiguration(powerStateChangeTimeout: .seconds(2),
                                                               softPowerOffTimeout: .seconds(90)))
        #expect(config.conductor.syncPowerStateWorkers == 64)
        #expect(config.ipmi.minCommandInterval == .milliseconds(250))
        #expect(config.ipmi.retransmitInterval == .milliseconds(500))
        #expect(config.ipmi.retransmitAttempts == 7)
        #expect(config.ipmi.maxInFlight == 32)
        #expect(config.ipmi.credentialBackoff == .seconds(5) && config.ipmi.maxCredentialBackoff == .seconds(5))
        #expect(config.ipmi.keepaliveInterval == .milliseconds(12500))
        #expect(!config.ipmi.persistentSessions)
        #expect(config.database.connection == "sqlite:///state/ferrum.sqlite")
        #expect(config.databasePath == "/etc/ferrum/state/ferrum.sqlite")
        #expect(config.api.hostIP == "::1" && config.api.port == 8080)
        #expect(!config.nova.sendPowerNotifications)
    }

    @Test func commentsBlanksWhitespaceQuotesAndLineEndings() throws {
        let text = "\u{FEFF}# top comment\r\n; another\r\n\r\n  [ conductor ]  \r\n\t# indented comment\r\n"
            + "sync_power_state_interval=30\r\n   power_state_sync_max_retries\t=  5  \r\n"
            + "[DEFAULT]\nauth_strategy = http_basic\n[api]\nhost_ip = \"10.0.0.1\"\n[conductor]\nsoft_power_off_timeout = '20'\n[nova]\n[ipmi]"
        let config = try load(text)
        #expect(config.conductor.syncPowerStateInterval == .seconds(30))
        #expect(config.conductor.powerStateSyncMaxRetries == 5)
        #expect(config.conductor.softPowerOffTimeout == .seconds(20), "a repeated section merges, as in oslo")
        #expect(config.api.hostIP == "10.0.0.1")

        let file = try ConfigFile(parsing: text)
        #expect(file.lineCount == 15)
        #expect(file.sections.map(\.name) == ["conductor", "DEFAULT", "api", "conductor", "nova", "ipmi"])
        #expect(file.sections[0].line == 4)
        #expect(file.sections[0].entries.map(\.line) == [6, 7])
        #expect(file.sections[0].entries[1]
            == ConfigFile.Entry(key: "power_state_sync_max_retries", value: "5", line: 7))
    }

    @Test(arguments: [
        ("true", true), ("TRUE", true), ("yes", true), ("Yes", true), ("on", true), ("ON", true), ("1", true),
        ("false", false), ("False", false), ("no", false), ("NO", false), ("off", false), ("Off", false), ("0", false),
    ])
    func booleanForms(text: String, value: Bool) throws {
        #expect(try load("[DEFAULT]\ndebug = \(text)").general.debug == value)
        #expect(try load("[ipmi]\npersistent_sessions = \(text)").ipmi.persistentSessions == value)
    }

    @Test(arguments: [
        ("sqlite:///ferrum.sqlite", "/etc/ferrum", "/etc/ferrum/ferrum.sqlite"),
        ("sqlite:///data/x.sqlite", "/etc/ferrum/", "/etc/ferrum/data/x.sqlite"),
        ("sqlite:///a=b.sqlite", "/etc/ferrum", "/etc/ferrum/a=b.sqlite"),
        ("sqlite:///ferrum.sqlite", "", "ferrum.sqlite"),
        ("sqlite:////var/db/x.sqlite", "/etc/ferrum", "/var/db/x.sqlite"),
        ("SQLite:////x.sqlite", "/etc/ferrum", "/x.sqlite"),
    ])
    func sqliteURLs(url: String, base: String, path: String) throws {
        let config = try load("[database]\nconnection = \(url)", base: base)
        #expect(config.databasePath == path)
        #expect(config.database.connection == url)
    }

    @Test(arguments: [
        ("mysql+pymysql://ironic:s3cret@db/ironic",
         "\"mysql+pymysql\" databases are not supported; only sqlite:// is supported"),
        ("postgresql://ironic:s3cret@db/ironic", "only sqlite:// is supported"),
        ("ferrum.sqlite", "is not a database URL"),
        ("sqlite://", "in-memory database"),
        ("sqlite:///:memory:", "in-memory database"),
        ("sqlite://dbhost/x.sqlite", "names a host"),
        ("sqlite:///x.sqlite?mode=ro", "query parameters"),
        ("sqlite:///state/", "names a directory"),
        ("", "has no value"),
    ])
    func unsupportedDatabaseURLs(url: String, message: String) throws {
        let error = try #require(failure("[DEFAULT]\n\n[database]\nconnection = \(url)\n"))
        #expect(error.line == 4 && error.section == "database" && error.option == "connection")
        #expect(error.message.contains(message), "\(error)")
        #expect(!error.description.contains("s3cret"), "a URL's password never reaches a message")
    }

    @Test func errorsReadLikeACompilersAndNameTheLine() throws {
        let text = String(repeating: "# padding\n", count: 10) + "[conductor]\nsync_power_state_interval = abc\n"
        let error = try #require(failure(text))
        #expect(error == ConfigurationError(line: 12, section: "conductor", option: "sync_power_state_interval",
                                            message: "\"abc\" is not a whole number of seconds"))
        #expect(error.description(file: "ferrum.conf")
            == "ferrum.conf:12: [conductor] sync_power_state_interval: \"abc\" is not a whole number of seconds")
        #expect(error.description
            == "line 12: [conductor] sync_power_state_interval: \"abc\" is not a whole number of seconds")
        #expect(ConfigurationError(line: nil, message: "m").description(file: "f.conf") == "f.conf: m")
    }

    /// The examples in docs/configuration.md, word for word.
    @Test(arguments: [
        ("[conductor]\nsync_power_state_interval = abc",
         "ferrum.conf:2: [conductor] sync_power_state_interval: \"abc\" is not a whole number of seconds"),
        ("[condutor]", "ferrum.conf:1: [condutor]: unknown section; did you mean [conductor]?"),
        ("[ipmi]\nretransmit_atempts = 5",
         "ferrum.conf:2: [ipmi] retransmit_atempts: unknown option; did you mean retransmit_attempts?"),
        ("[api]\nport = 6385\nport = 6386", "ferrum.conf:3: [api] port: set twice; it was already set on line 2"),
        ("[database]\nconnection = mysql+pymysql://ironic:secret@db/ironic",
         "ferrum.conf:2: [database] connection: \"mysql+pymysql\" databases are not supported; "
            + "only sqlite:// is supported"),
        ("[ipmi]\nmax_credential_backoff = 10", "ferrum.conf:2: [ipmi] max_credential_backoff: 10 s is less than "
            + "credential_backoff (30 s), where the back-off starts"),
    ])
    func documentedErrors(text: String, expected: String) throws {
        #expect(try #require(failure(text)).description(file: "ferrum.conf") == expected)
    }

    @Test(arguments: [
        // Syntax.
        BadCase("[DEFAULT]\ndebug = true\njust some words", 3, nil, nil, "expected [section], key = value"),
        BadCase("debug = true", 1, nil, "debug", "option outside any section"),
        BadCase("# c\n[ipmi", 2, nil, nil, "a section header must look like [name]"),
        BadCase("[ipmi] # note", 1, nil, nil, "a section header must look like [name]"),
        BadCase("\n\n[ ]", 3, nil, nil, "the section header has no name"),
        BadCase("[ipmi]\n= 5", 2, nil, nil, "no option name before ="),
        // Names.
        BadCase("[DEFAULT]\n\n[keystone_authtoken]", 3, "keystone_authtoken", nil, "unknown section"),
        BadCase("[ipmi]\nretries = 3", 2, "ipmi", "retries", "unknown option"),
        BadCase("[conductor]\nsync_power_state_interval = 60\n\nsync_power_state_interval = 30", 4, "conductor",
                "sync_power_state_interval", "set twice; it was already set on line 2"),
        BadCase("[api]\nport = 1\n[nova]\n[api]\nport = 2", 5, "api", "port", "already set on line 2"),
        // Types and ranges.
        BadCase("[conductor]\nsync_power_state_interval = -1", 2, "conductor", "sync_power_state_interval",
                "\"-1\" is out of range: it must be from 0 to 31536000 seconds"),
        BadCase("[conductor]\nsync_power_state_interval = 1.5", 2, "conductor", "sync_power_state_interval",
                "\"1.5\" is not a whole number of seconds"),
        BadCase("[conductor]\npower_state_sync_max_retries = 99999999999999999999", 2, "conductor",
                "power_state_sync_max_retries", "is out of range: it must be at least 0"),
        BadCase("[conductor]\npower_state_change_timeout = 0", 2, "conductor", "power_state_change_timeout",
                "from 1 to 31536000 seconds"),
        BadCase("[conductor]\nsoft_power_off_timeout = 0", 2, "conductor", "soft_power_off_timeout", "from 1 to"),
        BadCase("[conductor]\npower_failure_recovery_interval = 31536001", 2, "conductor",
                "power_failure_recovery_interval", "out of range"),
        BadCase("[conductor]\nsync_power_state_workers = 0", 2, "conductor", "sync_power_state_workers", "at least 1"),
        BadCase("[conductor]\nforce_power_state_during_sync = maybe", 2, "conductor", "force_power_state_during_sync",
                "\"maybe\" is not a boolean; use true/false, yes/no, on/off or 1/0"),
        BadCase("[ipmi]\nmin_command_interval = -0.5", 2, "ipmi", "min_command_interval", "out of range"),
        BadCase("[ipmi]\nmin_command_interval = nan", 2, "ipmi", "min_command_interval", "is not a number of seconds"),
        BadCase("[ipmi]\nkeepalive_interval = inf", 2, "ipmi", "keepalive_interval", "is not a number of seconds"),
        BadCase("[ipmi]\nretransmit_interval = 0", 2, "ipmi", "retransmit_interval", "from 0.001 to"),
        BadCase("[ipmi]\nretransmit_attempts = 0", 2, "ipmi", "retransmit_attempts", "at least 1"),
        BadCase("[ipmi]\nmax_in_flight = lots", 2, "ipmi", "max_in_flight", "\"lots\" is not a whole number"),
        BadCase("[ipmi]\ncredential_backoff = 1e9", 2, "ipmi", "credential_backoff", "out of range"),
        BadCase("[ipmi]\ncredential_backoff = 60\nmax_credential_backoff = 10", 3, "ipmi", "max_credential_backoff",
                "10 s is less than credential_backoff (60 s)"),
        BadCase("[ipmi]\nmax_credential_backoff = 0.5\n", 2, "ipmi", "max_credential_backoff",
                "0.5 s is less than credential_backoff (30 s)"),
        BadCase("[ipmi]\n\ncredential_backoff = 3600", 3, "ipmi", "credential_backoff",
                "3600 s is more than max_credential_backoff (1800 s, the default)"),
        BadCase("[api]\nport = 0", 2, "api", "port", "from 1 to 65535"),
        BadCase("[api]\nport = 65536", 2, "api", "port", "from 1 to 65535"),
        BadCase("[api]\nport = http", 2, "api", "port", "not a whole number"),
        BadCase("[api]\nhost_ip = a b", 2, "api", "host_ip", "not a host name"),
        BadCase("[api]\nhost_ip =", 2, "api", "host_ip", "has no value"),
        BadCase("[DEFAULT]\nauth_strategy = keystone", 2, "DEFAULT", "auth_strategy", "keystone"),
        BadCase("[api]\nhost_ip = 0.0.0.0", 2, "api", "host_ip", "not a loopback address, and auth_strategy is noauth"),
        BadCase("[DEFAULT]\nlog_format = xml", 2, "DEFAULT", "log_format", "\"xml\" is not one of text, json"),
        BadCase("[DEFAULT]\ndebug = true # verbose", 2, "DEFAULT", "debug",
                "is not a boolean; use true/false, yes/no, on/off or 1/0 (comments must be on a line of their own)"),
        BadCase("[nova]\nsend_power_notifications = \u{1B}[31m", 2, "nova", "send_power_notifications", "\\u{1B}"),
        BadCase("[nova]\nhold_maximum = 0", 2, "nova", "hold_maximum", "from 1 to 31536000 seconds"),
        BadCase("[nova]\nnova_api_users = ,", 2, "nova", "nova_api_users", "has no value"),
        BadCase("[nova]\nhold_power_state_until_applied = true", 2, "nova", "hold_power_state_until_applied",
                "needs the Nova notifier, but auth_type is not set"),
        BadCase("[nova]\nauth_type = none\nendpoint_override = http://127.0.0.1:1/v2.1\nsend_power_notifications = false\n"
                    + "hold_power_state_until_applied = on", 5, "nova", "hold_power_state_until_applied",
                "but send_power_notifications = false"),
    ])
    func badInputNamesItsLine(_ bad: BadCase) throws {
        let error = try #require(failure(bad.text))
        #expect(error.line == bad.line, "\(error)")
        #expect(error.section == bad.section)
        #expect(error.option == bad.option)
        #expect(error.message.contains(bad.message), "\(error)")
    }

    @Test(arguments: [
        ("[condutor]", "unknown section; did you mean [conductor]?"),
        ("[default]", "unknown section; did you mean [DEFAULT]?"),
        ("[Database]", "unknown section; did you mean [database]?"),
        ("[glance]", "unknown section; the sections are [DEFAULT], [conductor], [ipmi], [database], [api], [nova]"),
        ("[conductor]\nsync_power_state_intreval = 5", "unknown option; did you mean sync_power_state_interval?"),
        ("[conductor]\nsync-power-state-interval = 5", "unknown option; did you mean sync_power_state_interval?"),
        ("[conductor]\nforce_power_state_during_snyc = 5",
         "unknown option; did you mean force_power_state_during_sync?"),
        ("[ipmi]\nkeepalive = 5", "unknown option; did you mean keepalive_interval?"),
        ("[ipmi]\nretransmit_atempts = 5", "unknown option; did you mean retransmit_attempts?"),
        ("[api]\nhost = ::", "unknown option; did you mean host_ip?"),
        ("[api]\ndebug = true", "unknown option; it belongs in [DEFAULT]"),
        ("[api]\nDebug = true", "unknown option; did you mean debug? It belongs in [DEFAULT]"),
        ("[conductor]\nmin_command_interval = 5", "unknown option; it belongs in [ipmi]"),
        ("[DEFAULT]\nuse_json = true", "unknown option; oslo.log's use_json is log_format = json here"),
        ("[ipmi]\ncommand_retry_timeout = 60", "unknown option; retries are bounded by retransmit_interval"),
        ("[nova]\nauth_urls = http://keystone", "unknown option; did you mean auth_url?"),
    ])
    func unknownNamesSuggestTheRightOne(text: String, message: String) throws {
        let error = try #require(failure(text))
        #expect(error.line == text.split(separator: "\n").count)
        #expect(error.message.hasPrefix(message), "\(error)")
    }

    /// Any input gives a configuration or an error naming a line of the input; nothing traps.
    @Test func fuzzNeverCrashesAndAlwaysNamesALineOfTheInput() {
        var random = SplitMix64(seed: 0xF3_44_0C_0F)
        var loaded = 0, failed = 0
        for round in 0..<6000 {
            let text = round.isMultiple(of: 2) ? randomBytes(&random) : randomLines(&random)
            let lineCount = text.unicodeScalars.filter { $0 == "\n" }.count + 1
            do {
                _ = try load(text)
                loaded += 1
            } catch {
                failed += 1
                guard let line = error.line, (1...lineCount).contains(line) else {
                    Issue.record("error \(error) outside lines 1...\(lineCount) of \(String(reflecting: text))")
                    return
                }
                _ = error.description(file: "fuzz.conf")
            }
        }
        #expect(loaded > 100 && failed > 100, "the generator reaches both outcomes: \(loaded) loaded, \(failed) failed")
    }

    private func randomBytes(_ random: inout SplitMix64) -> String {
        let alphabet = Array("[]=#;\n\r\t =_ab1".utf8)
        let bytes = (0..<Int.random(in: 0...200, using: &random)).map { _ in
            Bool.random(using: &random)
                ? UInt8.random(in: 0...255, using: &random) : alphabet.randomElement(using: &random)!
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func randomLines(_ random: inout SplitMix64) -> String {
        let headers = ["[DEFAULT]", "[conductor]", "[ipmi]", "[database]", "[api]", "[nova]", "[x]", "[", "[]", "]"]
        let keys = ["debug", "log_format", "sync_power_state_interval", "force_power_state_during_sync",
                    "power_state_sync_max_retries", "power_failure_recovery_interval", "power_state_change_timeout",
                    "soft_power_off_timeout", "sync_power_state_workers", "min_command_interval", "retransmit_interval",
                    "retransmit_attempts", "max_in_flight", "credential_backoff", "max_credential_backoff",
                    "keepalive_interval", "persistent_sessions", "connection", "host_ip", "port",
                    "send_power_notifications", "", "porrt", "x-y"]
        let values = ["", "0", "1", "-1", "2.5", "1e308", "-0.0", "nan", "65536", "true", "off", "json", "text",
                      "\"quoted\"", "'", "sqlite:///a", "sqlite:////b", "sqlite://", "mysql://u:p@h/d", "::1",
                      "9223372036854775808", "1800", "0x10", "\u{0}", "é", "a # b"]
        let separators = ["\n", "\r\n", "\n\n"]
        var text = ""
        for _ in 0..<Int.random(in: 0...12, using: &random) {
            let indent = Bool.random(using: &random) ? "" : " \t"
            switch Int.random(in: 0..<10, using: &random) {
            case 0...1: text += indent + headers.randomElement(using: &random)!
            case 2: text += indent + ["# c", "; c", "", "junk"].randomElement(using: &random)!
            default:
                let separator = [" = ", "=", " =", " : "].randomElement(using: &random)!
                text += indent + keys.randomElement(using: &random)! + separator + values.randomElement(using: &random)!
            }
            text += separators.randomElement(using: &random)!
        }
        return text
    }
}

extension ControllerConfigurationTests {
    struct BadCase: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var section: String?
        var option: String?
        var message: String

        init(_ text: String, _ line: Int, _ section: String?, _ option: String?, _ message: String) {
            (self.text, self.line, self.section, self.option, self.message) = (text, line, section, option, message)
        }

        var testDescription: String { String(reflecting: text) }
    }
}

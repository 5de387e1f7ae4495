import IPMI
import Yams

/// The settings `defaults:` and entries share: each reader applies only the keys present onto a base value.
extension FleetFileReader {
    static func readSettings(_ mapping: YAMLMapping,
                             over base: FleetSettings) throws(FleetConfigurationError) -> FleetSettings {
        var settings = base
        if let value = mapping["users"] { settings.users = try readUsers(value) }
        if let value = mapping["power"] {
            switch try value.string() {
            case "on": settings.powerOn = true
            case "off": settings.powerOn = false
            case let other: throw value.error("power must be on or off, got '\(other)'")
            }
        }
        if let value = mapping["cipher_suites"] { settings.cipherSuites = try readCipherSuites(value) }
        if let value = mapping["timings"] { settings.timings = try readTimings(value, over: settings.timings) }
        if let value = mapping["faults"] { settings.faults = try readFaults(value, over: settings.faults) }
        return settings
    }

    static func readUsers(_ value: YAMLValue) throws(FleetConfigurationError) -> [UserSpec] {
        let items = try value.list()
        guard !items.isEmpty else { throw value.error("users: a BMC needs at least one user") }
        var users: [UserSpec] = []
        var nameMarks: [String: Mark?] = [:]
        for item in items {
            let user = try YAMLValue(node: item.node, key: "user").mapping(keys: FleetKeys.user, in: "a user")
            guard let nameValue = user["name"] else { throw user.error("a user needs a name") }
            let name = try nameValue.string()
            try nameValue.checked { () throws(Problem) in try Rules.checkUserName(name) }
            guard let passwordValue = user["password"] else { throw user.error("user '\(name)' needs a password") }
            let password = try passwordValue.string()
            try passwordValue.checked { () throws(Problem) in try Rules.checkPassword(password) }
            var privilege = PrivilegeLevel.administrator
            if let privilegeValue = user["privilege"] {
                let text = try privilegeValue.string()
                privilege = try privilegeValue.checked { () throws(Problem) in try Rules.privilege(text) }
            }
            if let first = nameMarks.updateValue(nameValue.mark, forKey: name) {
                throw nameValue.error("user '\(name)' is listed twice" + firstAt(first))
            }
            users.append(UserSpec(name: name, password: password, privilege: privilege))
        }
        return users
    }

    static func readCipherSuites(_ value: YAMLValue) throws(FleetConfigurationError) -> [UInt8] {
        let items = try value.list()
        guard !items.isEmpty else { throw value.error("cipher_suites must list at least one suite (17, 3 or 0)") }
        var suites: [UInt8] = []
        for item in items {
            let number = try item.integer()
            let suite = try item.checked { () throws(Problem) in try Rules.checkCipherSuite(number) }
            guard !suites.contains(suite) else { throw item.error("cipher suite \(number) is listed twice") }
            suites.append(suite)
        }
        return suites
    }

    package static func readTimings(_ value: YAMLValue,
                            over base: ChassisTimings) throws(FleetConfigurationError) -> ChassisTimings {
        let mapping = try value.mapping(keys: FleetKeys.timings, in: "timings")
        var timings = base
        if let value = mapping["power_transition_ms"] { timings.powerTransition = try value.milliseconds() }
        if let value = mapping["soft_shutdown_ms"] { timings.softShutdown = try value.milliseconds() }
        if let value = mapping["cycle_off_ms"] { timings.cycleOffTime = try value.milliseconds() }
        if let value = mapping["os_hung"] { timings.osHung = try value.bool() }
        return timings
    }

    package static func readFaults(_ value: YAMLValue, over base: FaultSpec) throws(FleetConfigurationError) -> FaultSpec {
        let mapping = try value.mapping(keys: FleetKeys.faults, in: "faults")
        var faults = base
        if let value = mapping["packet_loss"] { faults.packetLoss = try value.probability() }
        if let value = mapping["latency_ms"] { faults.latency = try value.milliseconds() }
        if let value = mapping["jitter_ms"] { faults.jitter = try value.milliseconds() }
        if let value = mapping["dead"] { faults.dead = try value.bool() }
        if let value = mapping["busy"] { faults.busy = try value.probability() }
        if let value = mapping["stuck_power"] { faults.stuckPower = try value.bool() }
        // null switches off a flapping or stale status inherited from defaults.
        if let value = mapping["flapping_period_ms"] {
            faults.flappingPeriod = value.isNull ? nil : try value.milliseconds()
            if faults.flappingPeriod == .zero {
                throw value.error("flapping_period_ms must be positive (leave it out, or null, for no flapping)")
            }
        }
        if let value = mapping["stale_status_ms"] { faults.staleStatus = value.isNull ? nil : try value.milliseconds() }
        if let value = mapping["session_table_full"] { faults.sessionTableFull = try value.bool() }
        if let value = mapping["credentials_rotated"] { faults.credentialsRotated = try value.bool() }
        if let value = mapping["slow_session_setup_ms"] { faults.slowSessionSetup = try value.milliseconds() }
        return faults
    }
}

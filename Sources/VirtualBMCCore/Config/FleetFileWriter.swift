/// Writes the canonical fleet file. It must read back equal (`FleetFileReader`), and it stays small: values shared by
/// several BMCs go to `defaults:`, values equal to their defaults are left out, and runs of BMCs that a range would
/// produce are written as that range, so a generated fleet of 10,000 BMCs is one line.
enum FleetFileWriter {
    static func write(_ configuration: FleetConfiguration) -> String {
        var out = "# Ferrum VirtualBMC fleet; format in docs/virtualbmc-config.md.\n"
            + "# It holds the BMCs' passwords: keep it mode 600.\n"
            + "seed: \(configuration.seed)\n"
        if let management = configuration.management {
            out += "management: {host: \(scalar(management.host)), port: \(management.port)}\n"
        }
        let defaults = commonSettings(configuration.bmcs)
        let defaultLines = settingsLines(defaults, over: .builtIn)
        if !defaultLines.isEmpty {
            out += "defaults:\n" + defaultLines.map { "  \($0)\n" }.joined()
        }
        guard !configuration.bmcs.isEmpty else { return out + "bmcs: []\n" }
        out += "bmcs:\n"
        for run in runs(configuration.bmcs) {
            let lines = run.count == 1 ? singleLines(run[run.startIndex]) : [rangeLine(run)]
            let settings = settingsLines(FleetSettings(of: run[run.startIndex]), over: defaults)
            out += "  - " + (lines + settings).joined(separator: "\n    ") + "\n"
        }
        return out
    }

    // MARK: Entries

    private static func singleLines(_ spec: BMCSpec) -> [String] {
        var lines = ["name: \(scalar(spec.name))"]
        if spec.address != "127.0.0.1" { lines.append("address: \(scalar(spec.address))") }
        lines.append("port: \(spec.port)")
        if spec.guid != BMCSpec.derivedGUID(name: spec.name) { lines.append("guid: \"\(Rules.guidText(spec.guid))\"") }
        return lines
    }

    private static func rangeLine(_ run: ArraySlice<BMCSpec>) -> String {
        let first = run[run.startIndex], second = run[run.startIndex + 1]
        let (prefix, index) = indexedName(first.name)!  // `step` parsed it to form the run
        var pairs = ["count: \(run.count)", "name_prefix: \(scalar(prefix))"]
        if index != 0 { pairs.append("first_index: \(index)") }
        if first.address == second.address {
            if first.address != "127.0.0.1" { pairs.append("address: \(scalar(first.address))") }
            pairs.append("base_port: \(first.port)")
        } else {
            pairs += ["base_address: \(scalar(first.address))", "port: \(first.port)"]
        }
        return "range: {\(pairs.joined(separator: ", "))}"
    }

    /// Maximal runs of BMCs that one range entry reproduces exactly; everything else is a run of one.
    private static func runs(_ bmcs: [BMCSpec]) -> [ArraySlice<BMCSpec>] {
        var runs: [ArraySlice<BMCSpec>] = []
        var start = bmcs.startIndex
        while start < bmcs.endIndex {
            var end = start + 1
            if end < bmcs.endIndex, let stepsPorts = step(from: bmcs[start], to: bmcs[end]) {
                end += 1
                while end < bmcs.endIndex, end - start < Rules.maxRangeCount,
                      step(from: bmcs[end - 1], to: bmcs[end]) == stepsPorts {
                    end += 1
                }
            }
            runs.append(bmcs[start..<end])
            start = end
        }
        return runs
    }

    /// Whether `next` is what a range produces after `spec`: true when stepping ports, false when stepping addresses,
    /// nil when it is not.
    private static func step(from spec: BMCSpec, to next: BMCSpec) -> Bool? {
        guard let (prefix, index) = indexedName(spec.name), let (nextPrefix, nextIndex) = indexedName(next.name),
              prefix == nextPrefix, nextIndex == index + 1,
              FleetSettings(of: spec) == FleetSettings(of: next),
              spec.guid == BMCSpec.derivedGUID(name: spec.name), next.guid == BMCSpec.derivedGUID(name: next.name) else {
            return nil
        }
        // Specs built in code may hold any Int; only valid ports can be stepped without overflow.
        if spec.address == next.address, (1...65534).contains(spec.port), next.port == spec.port + 1 { return true }
        if spec.port == next.port, let address = Rules.ipv4(spec.address), let nextAddress = Rules.ipv4(next.address),
           address < nextAddress, nextAddress - address == 1 {
            return false
        }
        return nil
    }

    /// "node-12" is ("node-", 12). The index must be written canonically ("node-012" is not), or the range would
    /// produce a different name.
    private static func indexedName(_ name: String) -> (String, Int)? {
        let digits = name.utf8.reversed().prefix(while: Rules.isDigit).count
        guard (1...9).contains(digits) else { return nil }
        let suffix = name.utf8.suffix(digits)
        guard digits == 1 || suffix.first != UInt8(ascii: "0") else { return nil }
        guard let index = Int(String(decoding: suffix, as: UTF8.self)) else { return nil }
        return (String(decoding: name.utf8.dropLast(digits), as: UTF8.self), index)
    }

    // MARK: Settings

    /// For each setting, the value at least two BMCs share (the most common one), else the built-in value.
    private static func commonSettings(_ bmcs: [BMCSpec]) -> FleetSettings {
        let builtIn = FleetSettings.builtIn
        return FleetSettings(users: mostCommon(bmcs.map(\.users), else: builtIn.users),
                             powerOn: mostCommon(bmcs.map(\.powerOn), else: builtIn.powerOn),
                             cipherSuites: mostCommon(bmcs.map(\.cipherSuites), else: builtIn.cipherSuites),
                             timings: mostCommon(bmcs.map(\.timings), else: builtIn.timings),
                             faults: mostCommon(bmcs.map(\.faults), else: builtIn.faults))
    }

    private static func mostCommon<Value: Hashable>(_ values: [Value], else fallback: Value) -> Value {
        var counts: [Value: Int] = [:]
        var best = fallback, bestCount = 1
        for value in values {
            // Counted without looking the value up again: a NaN probability is never equal to itself.
            let count = counts[value, default: 0] + 1
            counts[value] = count
            if count > bestCount {
                best = value
                bestCount = count
            }
        }
        return best
    }

    /// One line per setting that differs from `base`; timings and faults list only their differing keys, because
    /// the reader merges them key by key.
    private static func settingsLines(_ settings: FleetSettings, over base: FleetSettings) -> [String] {
        var lines: [String] = []
        if settings.users != base.users {
            lines.append("users: [\(settings.users.map(userText).joined(separator: ", "))]")
        }
        if settings.powerOn != base.powerOn { lines.append("power: \(settings.powerOn ? "on" : "off")") }
        if settings.cipherSuites != base.cipherSuites {
            lines.append("cipher_suites: [\(settings.cipherSuites.map(String.init).joined(separator: ", "))]")
        }
        let timings = timingPairs(settings.timings, over: base.timings)
        if !timings.isEmpty { lines.append("timings: {\(timings.joined(separator: ", "))}") }
        let faults = faultPairs(settings.faults, over: base.faults)
        if !faults.isEmpty { lines.append("faults: {\(faults.joined(separator: ", "))}") }
        return lines
    }

    private static func userText(_ user: UserSpec) -> String {
        var pairs = ["name: \(scalar(user.name))", "password: \(scalar(user.password))"]
        if user.privilege != .administrator { pairs.append("privilege: \(Rules.privilegeText(user.privilege))") }
        return "{\(pairs.joined(separator: ", "))}"
    }

    private static func timingPairs(_ timings: ChassisTimings, over base: ChassisTimings) -> [String] {
        var pairs = Pairs()
        pairs.add("power_transition_ms", timings.powerTransition, base.powerTransition)
        pairs.add("soft_shutdown_ms", timings.softShutdown, base.softShutdown)
        pairs.add("cycle_off_ms", timings.cycleOffTime, base.cycleOffTime)
        pairs.add("os_hung", timings.osHung, base.osHung)
        return pairs.items
    }

    private static func faultPairs(_ faults: FaultSpec, over base: FaultSpec) -> [String] {
        var pairs = Pairs()
        pairs.add("packet_loss", faults.packetLoss, base.packetLoss)
        pairs.add("latency_ms", faults.latency, base.latency)
        pairs.add("jitter_ms", faults.jitter, base.jitter)
        pairs.add("dead", faults.dead, base.dead)
        pairs.add("busy", faults.busy, base.busy)
        pairs.add("stuck_power", faults.stuckPower, base.stuckPower)
        pairs.add("flapping_period_ms", faults.flappingPeriod, base.flappingPeriod)
        pairs.add("stale_status_ms", faults.staleStatus, base.staleStatus)
        pairs.add("session_table_full", faults.sessionTableFull, base.sessionTableFull)
        pairs.add("credentials_rotated", faults.credentialsRotated, base.credentialsRotated)
        pairs.add("slow_session_setup_ms", faults.slowSessionSetup, base.slowSessionSetup)
        return pairs.items
    }

    /// "key: value" items of a flow mapping, for the values that differ from their base.
    private struct Pairs {
        var items: [String] = []

        mutating func add(_ key: String, _ value: Bool, _ base: Bool) {
            if value != base { items.append("\(key): \(value)") }
        }

        mutating func add(_ key: String, _ value: Double, _ base: Double) {
            // Swift prints the shortest text that reads back as the same Double.
            if value != base { items.append("\(key): \(value)") }
        }

        mutating func add(_ key: String, _ value: Duration, _ base: Duration) {
            if value != base { items.append("\(key): \(Rules.millisecondsText(value))") }
        }

        /// null switches off an optional fault that the base has.
        mutating func add(_ key: String, _ value: Duration?, _ base: Duration?) {
            if value != base { items.append("\(key): \(value.map(Rules.millisecondsText) ?? "null")") }
        }
    }

    // MARK: Scalars

    /// Plain when no YAML reader could take it for anything but a string; double-quoted otherwise.
    static func scalar(_ text: String) -> String {
        if Rules.ipv4(text) != nil { return text }
        let bytes = Array(text.utf8)
        let reserved: Set<String> = ["y", "n", "yes", "no", "true", "false", "on", "off", "null"]
        // A leading digit could read as a number, a leading '.', '-' or '_'-less symbol as YAML syntax.
        guard let first = bytes.first, Rules.isAlphanumeric(first) || first == UInt8(ascii: "_"), !Rules.isDigit(first),
              bytes.allSatisfy({ Rules.isNameByte($0) || $0 == UInt8(ascii: "/") }),
              !reserved.contains(text.lowercased()) else {
            return quoted(text)
        }
        return text
    }

    /// A double-quoted scalar. Everything outside YAML's printable set, and the characters that some readers take
    /// for line breaks or a byte order mark, is escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x0D: out += "\\r"
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

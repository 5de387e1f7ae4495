import Yams

/// Reads a fleet file node by node, so that every semantic error knows the line of the value that caused it.
package enum FleetFileReader {
    /// A BMC with the places its name and endpoint came from, for duplicate errors found after expansion.
    private struct Placed {
        var spec: BMCSpec
        var nameMark: Mark?
        var endpointMark: Mark?
    }

    private struct Endpoint: Hashable {
        var address: String
        var port: Int
    }

    static func read(_ text: String) throws(FleetConfigurationError) -> FleetConfiguration {
        let root = YAMLValue(node: try YAMLDocument.compose(text), key: "the fleet file")
        let top = try root.mapping(keys: FleetKeys.top, in: "the fleet file")
        var configuration = FleetConfiguration()
        if let seed = top["seed"] { configuration.seed = try seed.unsigned64() }
        if let management = top["management"] { configuration.management = try readManagement(management) }
        var defaults = FleetSettings.builtIn
        if let value = top["defaults"] {
            defaults = try readSettings(value.mapping(keys: FleetKeys.settings, in: "defaults"), over: defaults)
        }
        var placed: [Placed] = []
        for entry in try top["bmcs"]?.list() ?? [] {
            placed += try readEntry(entry, defaults: defaults)
        }
        try checkUnique(placed)
        configuration.bmcs = placed.map(\.spec)
        return configuration
    }

    private static func readManagement(_ value: YAMLValue) throws(FleetConfigurationError) -> ManagementEndpoint {
        let mapping = try value.mapping(keys: FleetKeys.management, in: "management")
        var endpoint = ManagementEndpoint(port: 0)
        if let host = mapping["host"] { endpoint.host = try loopbackAddress(host) }
        guard let port = mapping["port"] else { throw mapping.error("management needs a port (0 picks a free one)") }
        endpoint.port = try port.integer()
        guard (0...65535).contains(endpoint.port) else {
            throw port.error("management port \(endpoint.port) is out of range 0...65535 (0 picks a free port)")
        }
        return endpoint
    }

    // MARK: Entries

    private static func readEntry(_ value: YAMLValue, defaults: FleetSettings) throws(FleetConfigurationError) -> [Placed] {
        let entry = try YAMLValue(node: value.node, key: "bmcs entry").mapping(keys: FleetKeys.entry, in: "a bmcs entry")
        let settings = try readSettings(entry, over: defaults)
        if let range = entry["range"] {
            if let misplaced = FleetKeys.single.first(where: { entry[$0] != nil }) {
                throw FleetConfigurationError(at: entry.keyMark(misplaced), misplacedBesideRange(misplaced))
            }
            return try readRange(range, settings: settings)
        }
        guard let nameValue = entry["name"] else { throw entry.error("a bmcs entry needs a name (or a range)") }
        let name = try nameValue.string()
        try nameValue.checked { () throws(Problem) in try Rules.checkName(name) }
        let address = try entry["address"].map(loopbackAddress) ?? "127.0.0.1"
        guard let portValue = entry["port"] else { throw entry.error("BMC '\(name)' needs a port") }
        let port = try portValue.integer()
        try portValue.checked { () throws(Problem) in try Rules.checkPort(port) }
        var guid: [UInt8]?
        if let guidValue = entry["guid"] {
            let text = try guidValue.string()
            guid = try guidValue.checked { () throws(Problem) in try Rules.guid(text) }
        }
        let spec = settings.spec(name: name, address: address, port: port, guid: guid)
        return [Placed(spec: spec, nameMark: nameValue.mark, endpointMark: portValue.mark)]
    }

    private static func misplacedBesideRange(_ key: String) -> String {
        switch key {
        case "name": "'name' does not go beside 'range'; a range names its BMCs with name_prefix"
        case "guid": "'guid' does not go beside 'range'; each BMC of a range gets a GUID derived from its name"
        default: "'\(key)' does not go beside 'range'; set it inside range (base_port, or base_address and port)"
        }
    }

    private static func readRange(_ value: YAMLValue, settings: FleetSettings) throws(FleetConfigurationError) -> [Placed] {
        let range = try value.mapping(keys: FleetKeys.range, in: "range")
        guard let countValue = range["count"] else { throw range.error("a range needs count") }
        let count = try countValue.integer()
        guard (1...Rules.maxRangeCount).contains(count) else {
            throw countValue.error("range count \(count) is out of range 1...\(Rules.maxRangeCount)")
        }
        guard let prefixValue = range["name_prefix"] else { throw range.error("a range needs name_prefix") }
        let prefix = try prefixValue.string()
        let firstValue = range["first_index"]
        let first = try firstValue?.integer() ?? 0
        guard first >= 0, first <= Rules.maxRangeIndex - (count - 1) else {
            throw (firstValue ?? countValue).error("range indexes must stay within 0...\(Rules.maxRangeIndex)")
        }
        // The first name shows bad characters, the last one a name grown too long.
        try prefixValue.checked { () throws(Problem) in
            try Rules.checkName(prefix + String(first))
            try Rules.checkName(prefix + String(first + count - 1))
        }
        let (endpoints, endpointMark) = try rangeEndpoints(range, count: count)
        return endpoints.enumerated().map { offset, endpoint in
            let spec = settings.spec(name: prefix + String(first + offset), address: endpoint.address, port: endpoint.port)
            return Placed(spec: spec, nameMark: prefixValue.mark, endpointMark: endpointMark)
        }
    }

    /// Consecutive ports on one address (`base_port`), or consecutive IPv4 addresses on one port (`base_address`).
    private static func rangeEndpoints(_ range: YAMLMapping,
                                       count: Int) throws(FleetConfigurationError) -> ([Endpoint], Mark?) {
        if let basePortValue = range["base_port"] {
            if range["base_address"] != nil {
                throw FleetConfigurationError(at: later(range.keyMark("base_address"), range.keyMark("base_port")),
                                              "a range steps either ports (base_port) or addresses (base_address), not both")
            }
            if range["port"] != nil {
                throw FleetConfigurationError(at: range.keyMark("port"),
                                              "'port' goes with base_address; a range on one address uses base_port")
            }
            let host = try range["address"].map(loopbackAddress) ?? "127.0.0.1"
            let basePort = try basePortValue.integer()
            try basePortValue.checked { () throws(Problem) in
                try Rules.checkPort(basePort)
                try Rules.checkPortRun(basePort: basePort, count: count)
            }
            return ((0..<count).map { Endpoint(address: host, port: basePort + $0) }, basePortValue.mark)
        }
        guard let baseValue = range["base_address"] else {
            throw range.error("a range needs base_port (consecutive ports on one address) "
                + "or base_address and port (consecutive addresses)")
        }
        if range["address"] != nil {
            throw FleetConfigurationError(at: range.keyMark("address"),
                                          "'address' goes with base_port; a range over addresses starts at base_address")
        }
        let base = try loopbackAddress(baseValue)
        guard let first = Rules.ipv4(base) else {
            throw baseValue.error("base_address must be an IPv4 loopback address (::1 has no neighbours)")
        }
        guard UInt64(first) + UInt64(count - 1) <= 0x7FFF_FFFF else {
            throw baseValue.error("\(count) addresses from \(base) would pass 127.255.255.255")
        }
        guard let portValue = range["port"] else { throw range.error("a range over addresses needs port") }
        let port = try portValue.integer()
        try portValue.checked { () throws(Problem) in try Rules.checkPort(port) }
        let endpoints = (0..<count).map { Endpoint(address: Rules.ipv4Text(first + UInt32($0)), port: port) }
        return (endpoints, baseValue.mark)
    }

    private static func loopbackAddress(_ value: YAMLValue) throws(FleetConfigurationError) -> String {
        let text = try value.string()
        try value.checked { () throws(Problem) in try Rules.checkLoopback(text) }
        return text
    }

    private static func checkUnique(_ placed: [Placed]) throws(FleetConfigurationError) {
        var names: [String: Placed] = [:]
        var endpoints: [Endpoint: Placed] = [:]
        names.reserveCapacity(placed.count)
        endpoints.reserveCapacity(placed.count)
        for bmc in placed {
            let spec = bmc.spec
            if let first = names.updateValue(bmc, forKey: spec.name) {
                throw FleetConfigurationError(at: bmc.nameMark, "BMC name '\(spec.name)' is used twice"
                    + firstAt(first.nameMark))
            }
            if let first = endpoints.updateValue(bmc, forKey: Endpoint(address: spec.address, port: spec.port)) {
                let endpoint = Rules.endpointText(address: spec.address, port: spec.port)
                throw FleetConfigurationError(at: bmc.endpointMark, "endpoint \(endpoint) of '\(spec.name)' is already "
                    + "used by '\(first.spec.name)'" + firstAt(first.endpointMark))
            }
        }
    }

    /// Of two conflicting keys, the one written second is the one to blame.
    private static func later(_ lhs: Mark?, _ rhs: Mark?) -> Mark? {
        guard let lhs, let rhs else { return lhs ?? rhs }
        return (lhs.line, lhs.column) > (rhs.line, rhs.column) ? lhs : rhs
    }

    static func firstAt(_ mark: Mark?) -> String {
        mark.map { " (first at line \($0.line))" } ?? ""
    }
}

import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VirtualBMC
import VirtualBMCCore

/// Where a running `ferrum bmc serve` listens for management requests.
struct APIOptions: ParsableArguments {
    @Option(help: "Management API of the running fleet.") var api = "http://127.0.0.1:8623"

    /// Sends one request and prints the JSON answer; non-2xx answers become a clean error.
    func call(_ method: String, _ path: String, body: (some Encodable)? = nil as String?) async throws {
        let text = String(decoding: try await fetch(method, path, body: body), as: UTF8.self)
        if !text.isEmpty { print(text) }
    }

    /// Sends one request and returns the body of a 2xx answer.
    func fetch(_ method: String, _ path: String, body: (some Encodable)? = nil as String?) async throws -> Data {
        guard let url = URL(string: api + path), let host = url.host, host.hasPrefix("127.") || host == "localhost" || host == "::1" else {
            throw ValidationError("--api must be an http:// URL on loopback")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 10
        if let body {
            request.httpBody = try JSONEncoder().encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CleanExit.failure("cannot reach the fleet at \(api): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let text = String(decoding: data, as: UTF8.self)
        guard (200..<300).contains(status) else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data).error) ?? text
            throw CleanExit.failure("\(method) \(path): \(status): \(message)")
        }
        return data
    }
}

struct BMCAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a virtual BMC to the running fleet.")
    @OptionGroup var api: APIOptions
    @Argument(help: "Name of the new BMC.") var name: String
    @Option(help: "UDP port.") var port: Int
    @Option(help: "Loopback address.") var address = "127.0.0.1"
    @Option(help: "User name.") var username = "admin"
    @Option(help: "Password (or --password-file, or FERRUM_BMC_PASSWORD).") var password: String?
    @Option(help: "File holding the password.") var passwordFile: String?
    @Option(help: "Initial power: on or off.") var power = "off"

    func run() async throws {
        let secret = try PasswordSource(literal: password, file: passwordFile, environmentVariable: "FERRUM_BMC_PASSWORD").resolve()
        try await api.call("POST", "/bmcs", body: AddBMCBody(name: name, address: address, port: port, username: username,
                                                             password: secret, power: power))
    }
}

/// A verb that acts on one named BMC with one API call.
protocol NamedBMCVerb: AsyncParsableCommand {
    var api: APIOptions { get }
    var name: String { get }
    static var method: String { get }
    /// Appended to `/bmcs/NAME`.
    static var pathSuffix: String { get }
}

extension NamedBMCVerb {
    func run() async throws { try await api.call(Self.method, "/bmcs/\(name)\(Self.pathSuffix)") }
}

struct BMCDelete: NamedBMCVerb {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Remove a virtual BMC.")
    static let method = "DELETE", pathSuffix = ""
    @OptionGroup var api: APIOptions
    @Argument var name: String
}

struct BMCList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the fleet's BMCs (a table, or --json).")
    @OptionGroup var api: APIOptions
    @Flag(help: "Print the API's JSON instead of a table.") var json = false

    func run() async throws {
        guard !json else { return try await api.call("GET", "/bmcs") }
        let data = try await api.fetch("GET", "/bmcs")
        let bmcs = try JSONDecoder().decode([BMCSnapshot].self, from: data)
        var rows = [["NAME", "ENDPOINT", "POWER", "SESSIONS", "BOOT", "FAULTS"]]
        for bmc in bmcs {
            rows.append([bmc.name, "\(bmc.address):\(bmc.port)", bmc.powerOn ? "on" : "off", "\(bmc.activeSessions)",
                         bmc.bootDevice, Self.faultSummary(bmc.faults.spec)])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    static func faultSummary(_ faults: FaultSpec) -> String {
        guard !faults.isNone else { return "-" }
        var names: [String] = []
        if faults.dead { names.append("dead") }
        if faults.packetLoss > 0 { names.append("loss \(faults.packetLoss)") }
        if faults.latency > .zero || faults.jitter > .zero { names.append("latency") }
        if faults.busy > 0 { names.append("busy \(faults.busy)") }
        if faults.stuckPower { names.append("stuck power") }
        if faults.flappingPeriod != nil { names.append("flapping") }
        if faults.staleStatus != nil { names.append("stale status") }
        if faults.sessionTableFull { names.append("session table full") }
        if faults.credentialsRotated { names.append("credentials rotated") }
        if faults.slowSessionSetup > .zero { names.append("slow set-up") }
        return names.joined(separator: ", ")
    }
}

struct BMCShow: NamedBMCVerb {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one BMC: power, boot device, faults, counters.")
    static let method = "GET", pathSuffix = ""
    @OptionGroup var api: APIOptions
    @Argument var name: String
}

struct BMCStart: NamedBMCVerb {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Make a stopped BMC answer again.")
    static let method = "POST", pathSuffix = "/start"
    @OptionGroup var api: APIOptions
    @Argument var name: String
}

struct BMCStop: NamedBMCVerb {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a BMC answering (its state is kept).")
    static let method = "POST", pathSuffix = "/stop"
    @OptionGroup var api: APIOptions
    @Argument var name: String
}

struct BMCPress: NamedBMCVerb {
    static let configuration = CommandConfiguration(commandName: "press", abstract: "Press a BMC's power button (out-of-band change).")
    static let method = "POST", pathSuffix = "/power-button"
    @OptionGroup var api: APIOptions
    @Argument var name: String
}

struct BMCFault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault", abstract: "Set or clear faults on one BMC (NAME) or a share of the fleet (--share).")
    @OptionGroup var api: APIOptions
    @Argument(help: "BMC name; omit with --share.") var name: String?
    @Option(help: "Apply to this share of the fleet (0...1), chosen from the fleet seed.") var share: Double?
    @Flag(help: "Clear the faults of NAME.") var clear = false
    @Option(help: "Probability of dropping a datagram.") var packetLoss: Double?
    @Option(help: "Added reply latency (ms).") var latencyMs: Int?
    @Option(help: "Random extra latency up to (ms).") var jitterMs: Int?
    @Flag(help: "No answer at all.") var dead = false
    @Option(help: "Probability of completion code C0 (busy).") var busy: Double?
    @Flag(help: "Chassis Control is accepted but power never changes.") var stuckPower = false
    @Option(help: "Power toggles on its own every N ms.") var flappingPeriodMs: Int?
    @Option(help: "Status reports the power state of N ms ago.") var staleStatusMs: Int?
    @Flag(help: "Open Session is refused: session table full.") var sessionTableFull = false
    @Flag(help: "Logins fail: credentials rotated.") var credentialsRotated = false
    @Option(help: "Added delay on session set-up replies (ms).") var slowSessionSetupMs: Int?

    func validate() throws {
        guard (name == nil) != (share == nil) else { throw ValidationError("give a BMC name or --share, not both") }
        if clear, share != nil { throw ValidationError("--clear takes a BMC name") }
    }

    func run() async throws {
        var faults = BMCSnapshot.Faults(.none)
        faults.packetLoss = packetLoss ?? 0
        faults.latencyMilliseconds = latencyMs ?? 0
        faults.jitterMilliseconds = jitterMs ?? 0
        faults.dead = dead
        faults.busy = busy ?? 0
        faults.stuckPower = stuckPower
        faults.flappingPeriodMilliseconds = flappingPeriodMs
        faults.staleStatusMilliseconds = staleStatusMs
        faults.sessionTableFull = sessionTableFull
        faults.credentialsRotated = credentialsRotated
        faults.slowSessionSetupMilliseconds = slowSessionSetupMs ?? 0
        if let share {
            try await api.call("PUT", "/faults", body: ShareFaultsBody(share: share, faults: faults))
        } else if let name, clear {
            try await api.call("DELETE", "/bmcs/\(name)/faults")
        } else if let name {
            try await api.call("PUT", "/bmcs/\(name)/faults", body: faults)
        }
    }
}

import ArgumentParser
import Foundation

struct NodePower: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "power", abstract: "Power a node on or off, or reboot it.",
        subcommands: [NodePowerOn.self, NodePowerOff.self, NodeReboot.self])
}

/// What every power verb takes.
struct PowerOptions: ParsableArguments {
    @OptionGroup var api: FerrumAPIOptions
    @Argument(help: "Node name or UUID.") var node: String
    @Option(help: "Seconds the controller may take to confirm the change (its default: 60, soft 600).") var timeout: Int?
    @Flag(help: "Wait until the action ends; exit 4 if it failed.") var wait = false
    @Option(help: "With --wait, give up after this many seconds.") var waitTimeout: Double = 1200

    func validate() throws {
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
    }
}

/// A power verb: one `PUT /states/power`, then optionally the wait for `target_power_state` to clear.
protocol NodePowerVerb: AsyncParsableCommand {
    var power: PowerOptions { get }
    /// Ironic's target, e.g. "power off" or "soft rebooting".
    var target: String { get }
    /// The state a successful action leaves.
    var expected: String { get }
}

extension NodePowerVerb {
    func run() async throws {
        let client = try power.api.client()
        try await reportingFailures {
            var body: [String: JSONValue] = ["target": .string(target)]
            if let timeout = power.timeout { body["timeout"] = .int(timeout) }
            try await client.send("PUT", APIClient.nodePath(power.node, "/states/power"), body: .object(body))
            guard power.wait else { return print("\(power.node): \(target) requested") }
            let waited = try await PowerWait(client: client, node: power.node, target: target, expected: expected,
                                             limit: .milliseconds(Int(power.waitTimeout * 1000))).run()
            print("\(power.node): \(waited)")
        }
    }
}

struct NodePowerOn: NodePowerVerb {
    static let configuration = CommandConfiguration(commandName: "on", abstract: "Power a node on.")
    @OptionGroup var power: PowerOptions
    var target: String { "power on" }
    var expected: String { "power on" }
}

struct NodePowerOff: NodePowerVerb {
    static let configuration = CommandConfiguration(commandName: "off", abstract: "Power a node off (--soft: ask the OS).")
    @OptionGroup var power: PowerOptions
    @Flag(help: "ACPI soft power off instead of a hard one.") var soft = false
    var target: String { soft ? "soft power off" : "power off" }
    var expected: String { "power off" }
}

struct NodeReboot: NodePowerVerb {
    static let configuration = CommandConfiguration(commandName: "reboot", abstract: "Reboot a node (--soft: ask the OS first).")
    @OptionGroup var power: PowerOptions
    @Flag(help: "Soft reboot: ACPI soft off, then on.") var soft = false
    var target: String { soft ? "soft rebooting" : "rebooting" }
    var expected: String { "power on" }
}

/// Polls `GET /states` every 0.5 s until `target_power_state` is null, as Nova does, with a live line on a terminal.
struct PowerWait {
    let client: APIClient
    let node: String
    let target: String
    let expected: String
    let limit: Duration

    /// The final state with the time taken; throws `actionFailed` with `last_error` when the action failed.
    func run() async throws(APIFailure) -> String {
        let start = ContinuousClock.now
        let line = StatusLine()
        defer { line.clear() }
        var sawTarget = false
        while true {
            let states = try await client.json("GET", APIClient.nodePath(node, "/states"))
            let elapsed = ContinuousClock.now - start
            let power = states["power_state"]?.string
            let lastError = states["last_error"]?.string
            if states["target_power_state"]?.isNull ?? true {
                // A server that starts the action after answering 202 may show the old state first: wait for a sign
                // that the action ran (a target seen, the state reached, an error) or a short grace.
                if sawTarget || (power == expected && lastError == nil) || elapsed > .seconds(3) {
                    let took = Self.seconds(elapsed)
                    if power == expected, lastError == nil { return "\(power!) (\(took))" }
                    throw .actionFailed("\(node): \(target) failed after \(took): "
                        + (lastError ?? "the power state is \(power ?? "unknown"), not \(expected)"))
                }
            } else {
                sawTarget = true
            }
            guard elapsed < limit else {
                throw .actionFailed("\(node): \(target) still in progress after \(Self.seconds(elapsed)); stopped waiting")
            }
            // Redraw the elapsed time between polls so the line moves smoothly.
            for _ in 0..<5 {
                line.show("\(node): \(target) … \(Self.seconds(ContinuousClock.now - start))")
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1f s", value)
    }
}

struct NodeMaintenance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance", abstract: "Put a node in maintenance (the sync leaves it alone) or take it out.",
        subcommands: [Set.self, Unset.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set maintenance, with an optional reason.")
        @OptionGroup var api: FerrumAPIOptions
        @Argument(help: "Node name or UUID.") var node: String
        @Option(help: "Why, for the node's maintenance_reason.") var reason: String?

        func run() async throws {
            let client = try api.client()
            try await reportingFailures {
                let body: JSONValue? = reason.map { .object(["reason": .string($0)]) }
                try await client.send("PUT", APIClient.nodePath(node, "/maintenance"), body: body)
                print("\(node): maintenance set" + (reason.map { " (\($0))" } ?? ""))
            }
        }
    }

    struct Unset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear maintenance, its reason and the node's fault.")
        @OptionGroup var api: FerrumAPIOptions
        @Argument(help: "Node name or UUID.") var node: String

        func run() async throws {
            let client = try api.client()
            try await reportingFailures {
                try await client.send("DELETE", APIClient.nodePath(node, "/maintenance"))
                print("\(node): maintenance unset")
            }
        }
    }
}

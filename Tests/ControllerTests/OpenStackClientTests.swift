import Foundation
import Testing
import TestSupport
import VirtualBMC
import VirtualBMCCore

/// The real OpenStack clients from PyPI against `ferrum serve` over a VirtualBMC fleet: the `openstack baremetal` CLI
/// (python-openstackclient + python-ironicclient) and openstacksdk's baremetal proxy. `scripts/test` installs them into
/// a virtualenv and exports its path as FERRUM_OPENSTACK_VENV.
@Suite("OpenStack clients from PyPI", .serialized)
struct OpenStackClientTests {
    static let secret = "s3cret-\(UUID().uuidString.prefix(8))"

    @Test("openstack baremetal: create, list, show (password masked), manage, provide, power on/off seen on the BMC, maintenance set/unset, delete")
    func openstackCLI() async throws {
        let venv = try OpenStackVenv.fromEnvironment()
        try await withServe { fleet, specs, base in
            let cli = OpenStackCLI(executable: venv.bin("openstack"), endpoint: base)
            for (index, spec) in specs.enumerated() {
                let created = try await cli.json(["baremetal", "node", "create", "--driver", "ipmi", "--name", "n\(index)",
                                                  "--driver-info", "ipmi_address=\(spec.address)",
                                                  "--driver-info", "ipmi_port=\(spec.port)",
                                                  "--driver-info", "ipmi_username=admin",
                                                  "--driver-info", "ipmi_password=\(Self.secret)"])
                #expect(created["name"] as? String == "n\(index)")
                #expect(created["provision_state"] as? String == "enroll")
                #expect((created["driver_info"] as? [String: Any])?["ipmi_password"] as? String == "******")
            }
            let listed = try await cli.jsonList(["baremetal", "node", "list"])
            #expect(Set(listed.compactMap { $0["name"] as? String }) == ["n0", "n1"], "\(listed)")

            let shown = try await cli.run(["baremetal", "node", "show", "n0", "-f", "json"])
            #expect(!shown.contains(Self.secret), "the password left the API")
            let node = try OpenStackCLI.object(shown)
            let info = node["driver_info"] as? [String: Any]
            #expect(info?["ipmi_password"] as? String == "******")
            #expect(info?["ipmi_address"] as? String == specs[0].address)
            #expect("\(info?["ipmi_port"] ?? "")" == "\(specs[0].port)")
            #expect(node["driver"] as? String == "ipmi")

            _ = try await cli.run(["baremetal", "node", "manage", "n0", "--wait", "60"])
            _ = try await cli.run(["baremetal", "node", "provide", "n0", "--wait", "60"])
            #expect(try await cli.field("n0", "provision_state") as? String == "available")

            _ = try await cli.run(["baremetal", "node", "power", "on", "n0"])
            try await waitUntil("bmc-0 powered on") { try fleet.show(specs[0].name).powerOn }
            try await waitUntil("n0 shows power on") { try await cli.idle("n0", "power on") }
            #expect(try fleet.show(specs[1].name).powerOn == false, "only n0's BMC")

            _ = try await cli.run(["baremetal", "node", "power", "off", "n0"])
            try await waitUntil("bmc-0 powered off") { try !fleet.show(specs[0].name).powerOn }
            try await waitUntil("n0 shows power off") { try await cli.idle("n0", "power off") }

            _ = try await cli.run(["baremetal", "node", "maintenance", "set", "n0", "--reason", "x"])
            var state = try await cli.json(["baremetal", "node", "show", "n0", "-c", "maintenance", "-c", "maintenance_reason"])
            #expect(state["maintenance"] as? Bool == true && state["maintenance_reason"] as? String == "x", "\(state)")
            let inMaintenance = try await cli.jsonList(["baremetal", "node", "list", "--maintenance"])
            #expect(inMaintenance.compactMap { $0["name"] as? String } == ["n0"])
            _ = try await cli.run(["baremetal", "node", "maintenance", "unset", "n0"])
            state = try await cli.json(["baremetal", "node", "show", "n0", "-c", "maintenance", "-c", "maintenance_reason"])
            #expect(state["maintenance"] as? Bool == false && state["maintenance_reason"] is NSNull, "\(state)")

            _ = try await cli.run(["baremetal", "node", "delete", "n0", "n1"])
            let gone = try await cli.attempt(["baremetal", "node", "show", "n0"])
            #expect(gone.status != 0 && gone.stderr.contains("could not be found"), "\(gone.stderr)")
            #expect(try await cli.jsonList(["baremetal", "node", "list"]).isEmpty)
        }
    }

    @Test("openstacksdk: create (enroll, and manageable as the SDK moves it), provision, list, get, power on/off seen on the BMC, maintenance, update_node, delete")
    func openstackSDK() async throws {
        let venv = try OpenStackVenv.fromEnvironment()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-sdk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("baremetal_sdk.py").path
        try OpenStackSDK.script.write(toFile: script, atomically: true, encoding: .utf8)
        try await withServe { fleet, specs, base in
            let sdk = OpenStackSDK(python: venv.bin("python"), script: script, endpoint: base, password: Self.secret)

            var node = try await sdk.call("create", "s0", "\(specs[0].port)")
            #expect(node["provision_state"] as? String == "enroll" && node["name"] as? String == "s0", "\(node)")
            #expect((node["driver_info"] as? [String: Any])?["ipmi_password"] as? String == "******")
            node = try await sdk.call("provision", "s0", "manage")
            #expect(node["provision_state"] as? String == "manageable")
            node = try await sdk.call("provision", "s0", "provide")
            #expect(node["provision_state"] as? String == "available")
            // Asked for manageable, the SDK creates the node and then manages it, waiting for the state.
            node = try await sdk.call("create", "s1", "\(specs[1].port)", "manageable")
            #expect(node["provision_state"] as? String == "manageable", "\(node)")

            let listed = try #require(try await sdk.callList("list"))
            #expect(Set(listed.compactMap { $0["name"] as? String }) == ["s0", "s1"])
            #expect(listed.allSatisfy { ($0["driver_info"] as? [String: Any])?["ipmi_password"] as? String == "******" })
            node = try await sdk.call("get", "s0")
            #expect((node["driver_info"] as? [String: Any])?["ipmi_address"] as? String == specs[0].address)

            node = try await sdk.call("power", "s0", "power on")
            #expect(node["power_state"] as? String == "power on", "wait=True returns once the API shows it")
            #expect(try fleet.show(specs[0].name).powerOn)
            #expect(try fleet.show(specs[1].name).powerOn == false, "only s0's BMC")
            node = try await sdk.call("power", "s0", "power off")
            #expect(node["power_state"] as? String == "power off")
            #expect(try fleet.show(specs[0].name).powerOn == false)

            node = try await sdk.call("maintenance-set", "s0", "x")
            #expect(node["maintenance"] as? Bool == true && node["maintenance_reason"] as? String == "x")
            node = try await sdk.call("maintenance-unset", "s0")
            #expect(node["maintenance"] as? Bool == false && node["maintenance_reason"] is NSNull)
            // update_node sets maintenance through /maintenance, then sends an empty JSON Patch.
            node = try await sdk.call("update-maintenance", "s1", "y")
            #expect(node["maintenance"] as? Bool == true && node["maintenance_reason"] as? String == "y", "\(node)")

            for name in ["s0", "s1"] {
                node = try await sdk.call("delete", name)
                #expect(node["found_after"] as? Bool == false)
            }
            #expect(try await sdk.callList("list")?.isEmpty == true)
        }
    }
}

// MARK: The server under test

/// A fleet of two BMCs (both off) and `ferrum serve` over it: noauth on loopback, a free port, a temporary SQLite file,
/// a sync pass every second. `body` gets the API's base URL.
private func withServe(_ body: (Fleet, [BMCSpec], String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferrum-openstack-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let config = directory.appendingPathComponent("ferrum.conf").path
    try """
        [conductor]
        sync_power_state_interval = 1

        [ipmi]
        retransmit_interval = 0.2

        [database]
        connection = sqlite:///ferrum.sqlite
        """.write(toFile: config, atomically: true, encoding: .utf8)
    try await withFleet(count: 2, customize: { specs in
        for index in specs.indices {
            specs[index].users = [UserSpec(name: "admin", password: OpenStackClientTests.secret)]
            specs[index].powerOn = false
        }
    }) { fleet, specs in
        let server = try ServerProcess(ExternalTool.ferrum, ["serve", "--config", config, "--port", "0"])
        do {
            let port = try await server.waitFor("API listening on http://127.0.0.1:(\\d+)")
            try await body(fleet, specs, "http://127.0.0.1:\(port)")
        } catch {
            _ = await server.terminate()
            print("ferrum serve said:\n\(server.text)")
            throw error
        }
        #expect(await server.terminate() == 0)
        #expect(!server.text.contains(OpenStackClientTests.secret), "a password reached the logs")
    }
}

private func waitUntil(_ what: String, timeout: Duration = .seconds(60),
                       _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    throw ClientFailure(description: "\(what): not within \(timeout)")
}

// MARK: The clients

/// The virtualenv `scripts/test` fills; a missing one fails the test, because a skipped compatibility test proves
/// nothing.
private struct OpenStackVenv {
    var path: String

    static func fromEnvironment() throws -> OpenStackVenv {
        guard let path = ProcessInfo.processInfo.environment["FERRUM_OPENSTACK_VENV"], !path.isEmpty else {
            throw ClientFailure(description: "FERRUM_OPENSTACK_VENV is not set: run scripts/test, which installs "
                + "openstacksdk, python-openstackclient and python-ironicclient into .build-venv/openstack and exports "
                + "it (or export FERRUM_OPENSTACK_VENV=$PWD/.build-venv/openstack after running it once)")
        }
        let venv = OpenStackVenv(path: path)
        for tool in ["openstack", "python"] where !FileManager.default.isExecutableFile(atPath: venv.bin(tool)) {
            throw ClientFailure(description: "\(venv.bin(tool)) is missing: run scripts/test to (re)install the clients")
        }
        return venv
    }

    func bin(_ name: String) -> String { "\(path)/bin/\(name)" }
}

private struct ClientFailure: Error, CustomStringConvertible {
    var description: String
}

private struct ClientResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a client with stdout and stderr apart, so Python's warnings never break the JSON a test parses, and with a
/// deadline so a hung client fails the test instead of hanging it.
private func runClient(_ executable: String, _ arguments: [String], environment: [String: String],
                       timeout: Duration = .seconds(120)) async throws -> ClientResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OS_") }
    merged.merge(environment) { $1 }
    process.environment = merged
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let exited = ExternalTool.exitSignal(of: process)
    try process.run()
    let readOut = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }
    let readErr = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }
    let watchdog = Task {
        try await Task.sleep(for: timeout)
        kill(process.processIdentifier, SIGKILL)
    }
    let stdout = String(decoding: await readOut.value, as: UTF8.self)
    let stderr = String(decoding: await readErr.value, as: UTF8.self)
    let status = await exited.value
    watchdog.cancel()
    return ClientResult(status: status, stdout: stdout, stderr: stderr)
}

/// `openstack` with no auth against the endpoint; every call's exit status is checked and its output shown on failure.
private struct OpenStackCLI {
    var executable: String
    var endpoint: String

    func attempt(_ arguments: [String]) async throws -> ClientResult {
        // Flags rather than OS_* variables, so the command lines in a failure message can be pasted as they are.
        try await runClient(executable, ["--os-auth-type", "none", "--os-endpoint", endpoint] + arguments,
                            environment: ["PYTHONWARNINGS": "ignore"])
    }

    func run(_ arguments: [String]) async throws -> String {
        let result = try await attempt(arguments)
        guard result.status == 0 else {
            throw ClientFailure(description: "openstack \(arguments.joined(separator: " ")) exited \(result.status)\n"
                + "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
        }
        return result.stdout
    }

    func json(_ arguments: [String]) async throws -> [String: Any] {
        try Self.object(try await run(arguments + ["-f", "json"]))
    }

    func jsonList(_ arguments: [String]) async throws -> [[String: Any]] {
        let text = try await run(arguments + ["-f", "json"])
        guard let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw ClientFailure(description: "openstack \(arguments.joined(separator: " ")) printed no JSON list:\n\(text)")
        }
        return list
    }

    func field(_ node: String, _ name: String) async throws -> Any? {
        try await json(["baremetal", "node", "show", node, "-c", name])[name]
    }

    /// The API shows `power` with no action in flight.
    func idle(_ node: String, _ power: String) async throws -> Bool {
        let state = try await json(["baremetal", "node", "show", node, "-c", "power_state", "-c", "target_power_state"])
        return state["power_state"] as? String == power && state["target_power_state"] is NSNull
    }

    static func object(_ text: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ClientFailure(description: "expected a JSON object from the client, got:\n\(text)")
        }
        return object
    }
}

/// One openstacksdk call per run of a small script, so the test can look at the BMC between calls.
private struct OpenStackSDK {
    var python: String
    var script: String
    var endpoint: String
    var password: String

    func callAny(_ arguments: [String]) async throws -> Any {
        // The password travels in the environment, never on a command line.
        let result = try await runClient(python, [script] + arguments, environment: [
            "FERRUM_ENDPOINT": endpoint, "FERRUM_IPMI_PASSWORD": password, "PYTHONWARNINGS": "ignore",
        ])
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, let value = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
            throw ClientFailure(description: "openstacksdk \(arguments.joined(separator: " ")) exited \(result.status)\n"
                + "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
        }
        return value
    }

    func call(_ arguments: String...) async throws -> [String: Any] {
        guard let object = try await callAny(arguments) as? [String: Any] else {
            throw ClientFailure(description: "openstacksdk \(arguments.joined(separator: " ")) printed no JSON object")
        }
        return object
    }

    func callList(_ arguments: String...) async throws -> [[String: Any]]? {
        try await callAny(arguments) as? [[String: Any]]
    }

    /// Prints what each call returned as one JSON line; any exception is a traceback and a non-zero exit.
    static let script = #"""
        import json
        import os
        import sys

        import openstack

        conn = openstack.connection.Connection(auth_type="none",
                                               baremetal_endpoint_override=os.environ["FERRUM_ENDPOINT"])
        baremetal = conn.baremetal


        def node_json(node):
            return {"id": node.id, "name": node.name, "power_state": node.power_state,
                    "target_power_state": node.target_power_state, "provision_state": node.provision_state,
                    "maintenance": node.is_maintenance, "maintenance_reason": node.maintenance_reason,
                    "driver_info": node.driver_info}


        verb, args = sys.argv[1], sys.argv[2:]
        if verb == "create":
            fields = {"name": args[0], "driver": "ipmi",
                      "driver_info": {"ipmi_address": "127.0.0.1", "ipmi_port": int(args[1]), "ipmi_username": "admin",
                                      "ipmi_password": os.environ["FERRUM_IPMI_PASSWORD"]}}
            if len(args) > 2:
                fields["provision_state"] = args[2]
            result = node_json(baremetal.create_node(**fields))
        elif verb == "provision":
            result = node_json(baremetal.set_node_provision_state(args[0], args[1], wait=True, timeout=60))
        elif verb == "list":
            result = [node_json(node) for node in baremetal.nodes(details=True)]
        elif verb == "get":
            result = node_json(baremetal.get_node(args[0]))
        elif verb == "power":
            baremetal.set_node_power_state(args[0], args[1], wait=True, timeout=60)
            result = node_json(baremetal.get_node(args[0]))
        elif verb == "maintenance-set":
            baremetal.set_node_maintenance(args[0], reason=args[1])
            result = node_json(baremetal.get_node(args[0]))
        elif verb == "maintenance-unset":
            baremetal.unset_node_maintenance(args[0])
            result = node_json(baremetal.get_node(args[0]))
        elif verb == "update-maintenance":
            result = node_json(baremetal.update_node(args[0], is_maintenance=True, maintenance_reason=args[1]))
        elif verb == "delete":
            baremetal.delete_node(args[0])
            result = {"found_after": baremetal.find_node(args[0]) is not None}
        else:
            sys.exit(f"unknown verb {verb}")
        print(json.dumps(result))
        """#
}

import ArgumentParser
import Controller
import Foundation
import Hummingbird
import IPMI
import Logging
import VirtualBMC
import VirtualBMCCore

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show everything Ferrum does so far, end to end on embedded defaults, then exit.")

    @Option(help: "First UDP port of the demo's three virtual BMCs (0 picks free ones).") var port = 0
    @Flag(help: "Leave the virtual BMCs and their management API running so you can try the commands printed at the end.")
    var keepRunning = false

    func run() async throws {
        let user = "admin", password = "password"
        let specs = (0..<3).map { index in
            BMCSpec(name: "node-\(index)", port: port == 0 ? 0 : port + index,
                    timings: index == 1 ? ChassisTimings(powerTransition: .milliseconds(400)) : ChassisTimings())
        }
        let fleet = try await Fleet.start(FleetConfiguration(seed: 2019, management: nil, bmcs: specs))
        let bmcs = fleet.list()
        step("Virtual BMC fleet: \(bmcs.map { "\($0.name) on 127.0.0.1:\($0.port)" }.joined(separator: ", ")) (user \(user), suites 17 and 3)")

        // One BMC through a full power cycle with Ferrum's own RMCP+ client.
        let first = bmcs[0]
        let configuration = ConsoleConfiguration(username: user, password: password)
        let session = try await IPMIClientSession.connect(host: "127.0.0.1", port: first.port, configuration: configuration)
        let summary = try await session.establish()
        step("\(first.name): RMCP+ session up: negotiated \(summary.suite), \(summary.privilege) privilege, BMC session 0x\(String(summary.bmcSessionID, radix: 16))")
        let device = try await session.deviceID()
        step("\(first.name): Get Device ID: IPMI \(device.ipmiVersion & 0x0F).\(device.ipmiVersion >> 4), firmware \(device.firmwareMajor).\(hexString([device.firmwareMinor]))")
        step("\(first.name): power status → \(try await onOff(session))")
        try await session.setBootDevice(.pxe)
        step("\(first.name): bootdev pxe (next boot only) → BMC holds boot device \(try await session.bootFlags().device)")
        try await session.chassisControl(.powerUp)
        step("\(first.name): power on → status \(try await onOff(session)); one-time boot device consumed: \(try fleet.show(first.name).bootDevice == "none" ? "yes" : "no")")
        try await session.chassisControl(.powerCycle)
        step("\(first.name): power cycle → status \(try await onOff(session)) (cycles seen by the BMC: \(try fleet.show(first.name).cycles))")
        try await session.chassisControl(.hardReset)
        step("\(first.name): power reset → status \(try await onOff(session)) (resets seen by the BMC: \(try fleet.show(first.name).resets))")
        try await session.chassisControl(.softShutdown)
        step("\(first.name): power soft → status \(try await onOff(session))")
        do {
            try await session.chassisControl(.powerCycle)
        } catch {
            step("\(first.name): power cycle while off → refused: \(error)")
        }
        try fleet.pressPowerButton(first.name)
        step("\(first.name): someone presses the power button → status \(try await onOff(session)) (an out-of-band change)")
        await session.close()
        step("\(first.name): Close Session answered inside the session; sessions left: \(try fleet.show(first.name).sessions)")

        // A chassis that takes time to change state.
        let slow = bmcs[1]
        let slowSession = try await IPMIClientSession.connect(
            host: "127.0.0.1", port: slow.port, configuration: ConsoleConfiguration(username: user, password: password, cipherSuite: 3))
        try await slowSession.chassisControl(.powerUp)
        step("\(slow.name) (suite 3, 400 ms power transitions): power on accepted → status right away: \(try await onOff(slowSession))")
        try await Task.sleep(for: .milliseconds(600))
        step("\(slow.name): 600 ms later → status \(try await onOff(slowSession))")
        await slowSession.close()

        // Faults, switched at run time.
        let faulty = bmcs[2]
        try fleet.setFaults(FaultSpec(stuckPower: true), on: faulty.name)
        let faultySession = try await IPMIClientSession.connect(host: "127.0.0.1", port: faulty.port, configuration: configuration)
        try await faultySession.chassisControl(.powerUp)
        step("\(faulty.name) with fault 'stuck power': power on accepted → status \(try await onOff(faultySession))")
        await faultySession.close()
        try fleet.setFaults(FaultSpec(busy: 1), on: faulty.name)
        let busySession = try await IPMIClientSession.connect(host: "127.0.0.1", port: faulty.port, configuration: configuration)
        do {
            _ = try await busySession.powerIsOn()
        } catch {
            step("\(faulty.name) with fault 'busy': \(error)")
        }
        await busySession.close()
        try fleet.setFaults(FaultSpec(credentialsRotated: true), on: faulty.name)
        do {
            _ = try await IPMIClientSession.connect(host: "127.0.0.1", port: faulty.port, configuration: configuration)
        } catch {
            step("\(faulty.name) with fault 'credentials rotated': login refused: \(error)")
        }
        try fleet.setFaults(.none, on: faulty.name)
        let cleared = try await IPMIClientSession.connect(host: "127.0.0.1", port: faulty.port, configuration: configuration)
        step("\(faulty.name) faults cleared: power status → \(try await onOff(cleared))")
        await cleared.close()

        let demo = try await ControllerDemo.start(fleet: fleet, user: user, password: password, step: step)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "ferrum.demo.api")
        quiet.logLevel = .critical
        let nodeAPI = Application(router: NodeAPI.router(for: demo.controller, nova: demo.notifier),
                                  configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "ferrum"),
                                  onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) },
                                  logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await demo.controller.run() }
            group.addTask { try await demo.notifier.run() }
            group.addTask { try await nodeAPI.run() }
            do {
                var portIterator = ports.makeAsyncIterator()
                guard let apiPort = await portIterator.next() else { return }
                let base = "http://127.0.0.1:\(apiPort)"
                try await demo.walkThrough(fleet: fleet, step: step)
                try await demo.throughTheAPI(base: base, fleet: fleet, step: step)
                for bmc in fleet.list() {
                    step("\(bmc.name): power \(bmc.powerOn ? "on" : "off"), \(bmc.counters.datagramsIn) datagrams in, "
                        + "\(bmc.counters.sessionsOpened) sessions opened, \(bmc.counters.commands) chassis commands, \(bmc.activeSessions) active sessions")
                }
                printNodeCommands(base: base, nova: demo.nova.base, keepRunning: keepRunning)
                if keepRunning { try await stayUp(fleet: fleet, user: user, password: password) }
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
        await demo.shutdown()
        await fleet.shutdown()
    }

    private func printNodeCommands(base live: String, nova liveNova: String, keepRunning: Bool) {
        // Without --keep-running the API is gone when the demo exits; the next run picks another port.
        let base = keepRunning ? live : "http://127.0.0.1:PORT"
        let nova = keepRunning ? liveNova : "http://127.0.0.1:NOVA_PORT"
        print("""

        \(keepRunning ? "The controller's API (\(base), Ironic-compatible) stays up with a power sync every 10 s, and the fake Nova (\(nova)) with it. Try:"
            : "Run `swift run ferrum demo --keep-running` to keep the controller's API and the fake Nova up (it prints their ports) and try:")
          swift run ferrum node list --url \(base)
          swift run ferrum node power off server-2 --wait --url \(base)
          swift run ferrum node maintenance set server-1 --reason "fan swap" --url \(base)
          curl -s \(base)/metrics | grep ferrum_
          openstack --os-auth-type none --os-endpoint \(base) baremetal node list
          curl -s \(base)/health                  (the Nova notifier's state under "nova")
          curl -s \(nova)/_fake/instances         (the fake Nova's instances: vm_state, power_state)
          curl -s \(nova)/_fake/events            (every power-update Nova received, and what compute did with it)
          curl -s -X PUT -d '{"outage": true}' \(nova)/_fake/faults   (then power a node: the event waits, nothing is lost)
        """)
    }

    /// `--keep-running`: the fleet's management API (the node API already runs) until Ctrl-C.
    private func stayUp(fleet: Fleet, user: String, password: String) async throws {
        let bmcs = fleet.list()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await ManagementAPI.serve(fleet, port: 0) { apiPort in
                    let api = "--api http://127.0.0.1:\(apiPort)"
                    print("""

                    The fleet and its management API (http://127.0.0.1:\(apiPort)) stay up until Ctrl-C. Try:
                      ipmitool -I lanplus -H 127.0.0.1 -p \(bmcs[0].port) -U \(user) -P \(password) chassis power on
                      swift run ferrum ipmi -H 127.0.0.1 -p \(bmcs[1].port) -U \(user) -P \(password) power status
                      swift run ferrum bmc list \(api)
                      swift run ferrum bmc press \(bmcs[0].name) \(api)   (the next sync pass drives it back)
                      swift run ferrum bmc fault \(bmcs[2].name) --packet-loss 0.3 --latency-ms 50 \(api)
                    """)
                }
            }
            group.addTask { try await waitForTermination() }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    private func onOff(_ session: IPMIClientSession) async throws -> String {
        try await session.powerIsOn() ? "on" : "off"
    }

    private func step(_ text: String) {
        print("• \(text)")
    }
}

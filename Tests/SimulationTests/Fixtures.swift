import IPMI
import Simulation
import VirtualBMCCore
import Testing

/// Shared configurations: one administrator account on a BMC offering suites 17 and 3.
enum Fixture {
    static let guid: [UInt8] = Array(0xA0...0xAF)
    static let username = "admin"
    static let password = "correct horse"

    static func bmc(suites: [CipherSuite] = [.suite17, .suite3], setupTimeout: Duration = .seconds(5),
                    idleTimeout: Duration = .seconds(60)) -> BMCConfiguration {
        BMCConfiguration(users: [BMCUser(name: username, password: password)], guid: guid, cipherSuites: suites,
                         setupTimeout: setupTimeout, idleTimeout: idleTimeout)
    }

    static func console(suite: UInt8? = nil, password: String = password, maximumAttempts: Int = 4,
                        keepAliveInterval: Duration = .seconds(25)) -> ConsoleConfiguration {
        ConsoleConfiguration(username: username, password: password, cipherSuite: suite,
                             maximumAttempts: maximumAttempts, keepAliveInterval: keepAliveInterval)
    }

    static func harness(seed: UInt64, suite: UInt8? = nil, faults: LinkFaults = .perfect,
                        console: ConsoleConfiguration? = nil, bmc: BMCConfiguration? = nil) -> BackToBackHarness {
        BackToBackHarness(.init(seed: seed, console: console ?? Self.console(suite: suite), bmc: bmc ?? Self.bmc(),
                                faults: faults))
    }
}

/// A fixed sequence of requests whose right answers are known in advance: the chassis starts off.
enum Workload {
    enum Expected: Hashable {
        case accepted
        case power(on: Bool)
        case deviceID
        case guid
    }

    static let steps: [(IPMIRequest, Expected)] = [
        (ChassisControl.powerUp.request, .accepted),
        (GetChassisStatus.request, .power(on: true)),
        (ChassisControl.powerCycle.request, .accepted),
        (GetChassisStatus.request, .power(on: true)),
        (ChassisControl.powerDown.request, .accepted),
        (GetChassisStatus.request, .power(on: false)),
        (GetDeviceID.request, .deviceID),
        (GetSystemGUID.request, .guid),
    ]

    /// The Chassis Control actions of `steps`, in order.
    static let controls: [ChassisControl] = [.powerUp, .powerCycle, .powerDown]

    static func isRight(_ response: IPMIResponse, _ expected: Expected) -> Bool {
        guard response.completionCode == .ok else { return false }
        switch expected {
        case .accepted: return response.data.isEmpty
        case .power(let on): return (try? GetChassisStatus.Response(data: response.data).powerOn) == on
        case .deviceID: return response.data == SimulatedChassis(guid: Fixture.guid).deviceID.data
        case .guid: return response.data == Fixture.guid
        }
    }

    /// Queues every step at once (before or after the handshake) and returns the tokens with what each expects.
    static func enqueue(_ harness: inout BackToBackHarness) -> [(RequestToken, Expected)] {
        steps.map { request, expected in (harness.enqueue(request), expected) }
    }

    /// Runs until every token has completed or the console has finished, then closes a surviving session.
    static func finish(_ harness: inout BackToBackHarness, _ tokens: [(RequestToken, Expected)],
                       within limit: Duration = .seconds(600)) {
        harness.run(until: harness.now + limit) { run in
            run.isFinished || tokens.allSatisfy { run.result(for: $0.0) != nil }
        }
        if !harness.isFinished { harness.closeSession() }
    }

    /// Start, queue everything, run to the end.
    static func run(_ harness: inout BackToBackHarness) -> [(RequestToken, Expected)] {
        harness.start()
        let tokens = enqueue(&harness)
        finish(&harness, tokens)
        return tokens
    }

    /// True when every request completed with its right answer.
    static func allRight(_ harness: BackToBackHarness, _ tokens: [(RequestToken, Expected)]) -> Bool {
        tokens.allSatisfy { token, expected in
            if case .success(let response) = harness.result(for: token) { return isRight(response, expected) }
            return false
        }
    }
}

extension ConsoleError {
    var isTimeout: Bool {
        if case .timeout = self { return true }
        return false
    }
}

extension BackToBackHarness {
    /// Performs `request` and returns its answer, throwing when it failed or never completed.
    mutating func answer(_ request: IPMIRequest) throws -> IPMIResponse {
        let result = perform(request)
        return try #require(result).get()
    }
}

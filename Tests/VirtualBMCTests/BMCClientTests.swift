import Controller
import Foundation
import IPMI
import Testing
import VirtualBMC
import VirtualBMCCore

/// The scheduling policy in virtual time: pacing, the global limit, credentials back-off.
@Suite("BMCClient scheduling policy")
struct BMCClientPolicyTests {
    typealias Policy = BMCSchedulingPolicy<String>

    @Test("one request in flight per endpoint, spaced by the minimum interval")
    func pacing() {
        var policy = Policy(configuration: BMCSchedulingConfiguration(minimumInterval: .milliseconds(500)))
        #expect(policy.admit("a", now: .zero) == .start)
        #expect(policy.admit("a", now: .zero) == .wait(until: nil))
        #expect(policy.admit("b", now: .zero) == .start, "another endpoint is not held up")
        policy.finish("a", now: .milliseconds(100), outcome: .success)
        #expect(policy.admit("a", now: .milliseconds(100)) == .wait(until: .milliseconds(500)))
        #expect(policy.admit("a", now: .milliseconds(499)) == .wait(until: .milliseconds(500)))
        #expect(policy.admit("a", now: .milliseconds(500)) == .start)
        #expect(policy.inFlight == 2)
    }

    @Test("the global in-flight limit holds requests until one finishes")
    func globalLimit() {
        var policy = Policy(configuration: BMCSchedulingConfiguration(maximumInFlight: 2))
        #expect(policy.admit("a", now: .zero) == .start)
        #expect(policy.admit("b", now: .zero) == .start)
        #expect(policy.admit("c", now: .seconds(1)) == .wait(until: nil))
        policy.finish("b", now: .seconds(1), outcome: .failure(.timeout("x")))
        #expect(policy.admit("c", now: .seconds(1)) == .start)
        #expect(policy.inFlight == 2)
    }

    @Test("credentials failures back off exponentially up to the cap; success or new credentials reset it")
    func backOff() {
        var policy = Policy(configuration: BMCSchedulingConfiguration(credentialBackOff: .seconds(10),
                                                                     maximumCredentialBackOff: .seconds(35)))
        #expect(policy.backOff(afterFailures: 1) == .seconds(10))
        #expect(policy.backOff(afterFailures: 2) == .seconds(20))
        #expect(policy.backOff(afterFailures: 3) == .seconds(35))
        #expect(policy.backOff(afterFailures: 1000) == .seconds(35))

        var now = Duration.zero
        #expect(policy.admit("a", now: now) == .start)
        policy.finish("a", now: now, outcome: .failure(.wrongPassword))
        #expect(policy.admit("a", now: .seconds(9)) == .refuse(.wrongPassword, until: .seconds(10)))
        now = .seconds(10)
        #expect(policy.admit("a", now: now) == .start)
        policy.finish("a", now: now, outcome: .failure(.unknownUser))
        #expect(policy.admit("a", now: .seconds(29)) == .refuse(.unknownUser, until: .seconds(30)))
        #expect(policy.admit("a", now: .seconds(30)) == .start)
        policy.finish("a", now: .seconds(30), outcome: .failure(.wrongBMCKey))
        #expect(policy.credentialFailures("a") == 3)
        #expect(policy.admit("a", now: .seconds(64)) == .refuse(.wrongBMCKey, until: .seconds(65)))

        // Other failures neither back off nor reset the count.
        #expect(policy.admit("a", now: .seconds(65)) == .start)
        policy.finish("a", now: .seconds(65), outcome: .failure(.timeout("x")))
        #expect(policy.credentialFailures("a") == 3)
        #expect(policy.admit("a", now: .seconds(65)) == .start)
        policy.finish("a", now: .seconds(66), outcome: .success)
        #expect(policy.credentialFailures("a") == 0)

        #expect(policy.admit("b", now: .zero) == .start)
        policy.finish("b", now: .zero, outcome: .failure(.wrongPassword))
        policy.resetBackOff("b")
        #expect(policy.admit("b", now: .seconds(1)) == .start)
        #expect(policy.inFlight == 1)
    }

    @Test("credentials never show in descriptions or dumps")
    func noSecrets() {
        let credentials = BMCCredentials(username: "admin", password: "s3cr3t-pw", kg: Array("k3y-s3cr3t".utf8))
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in ["\(credentials)", String(reflecting: credentials), dumped] {
            #expect(!text.contains("s3cr3t"), "\(text)")
        }
        #expect(!"\(BMCClientError.backingOff(.wrongPassword, retryIn: .seconds(1)))".contains("s3cr3t"))
    }
}

/// The client over real UDP against a fleet of virtual BMCs on loopback.
@Suite("BMCClient over UDP", .serialized)
struct BMCClientTests {
    let credentials = BMCCredentials(username: "admin", password: "password")

    func withClient(_ configuration: BMCClientConfiguration = BMCClientConfiguration(retransmitInterval: .milliseconds(100)),
                    _ body: (BMCClient) async throws -> Void) async throws {
        let client = BMCClient(configuration: configuration)
        try await client.start()
        do {
            try await body(client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    func endpoint(_ spec: BMCSpec) -> BMCEndpoint { BMCEndpoint(address: "127.0.0.1", port: spec.port) }

    @Test("200 BMCs polled concurrently through one socket, one session per BMC reused, closed at shutdown")
    func twoHundredBMCs() async throws {
        try await withFleet(count: 200) { fleet, specs in
            let configuration = BMCClientConfiguration(scheduling: BMCSchedulingConfiguration(maximumInFlight: 64),
                                                       retransmitInterval: .milliseconds(500))
            try await withClient(configuration) { client in
                for _ in 0..<3 {
                    let wrong = try await withThrowingTaskGroup(of: Bool.self) { group in
                        for spec in specs {
                            let endpoint = endpoint(spec), credentials = credentials
                            group.addTask { try await client.powerIsOn(endpoint, credentials: credentials) != spec.powerOn }
                        }
                        return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                    }
                    #expect(wrong == 0)
                }
                #expect(await client.sessionCount == 200)
                let snapshots = fleet.list()
                #expect(snapshots.allSatisfy { $0.counters.sessionsOpened == 1 }, "one session per BMC, reused")
                #expect(snapshots.allSatisfy { $0.counters.commands == 3 })
            }
            #expect(fleet.list().allSatisfy { $0.activeSessions == 0 }, "shutdown closes every session")
        }
    }

    @Test("fresh sessions: each request opens its own session and closes it, one at a time per BMC; the default reuses one")
    func freshSessions() async throws {
        try await withFleet(count: 2) { fleet, specs in
            let fresh = BMCClientConfiguration(retransmitInterval: .milliseconds(100), persistentSessions: false)
            try await withClient(fresh) { client in
                let endpoint = endpoint(specs[0]), credentials = credentials
                for _ in 0..<3 {
                    #expect(try await client.powerIsOn(endpoint, credentials: credentials) == specs[0].powerOn)
                }
                // Concurrent requests queue behind each other's Close Session rather than overlap sessions.
                let name = specs[0].name
                let sampler = Task {
                    var most = 0
                    while !Task.isCancelled {
                        most = max(most, (try? fleet.show(name).activeSessions) ?? 0)
                        try? await Task.sleep(for: .milliseconds(1))
                    }
                    return most
                }
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<3 { group.addTask { try await client.powerIsOn(endpoint, credentials: credentials) } }
                    for try await on in group { #expect(on == specs[0].powerOn) }
                }
                sampler.cancel()
                #expect(await sampler.value <= 1, "never two sessions at once on one BMC")
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(2)
                while await client.sessionCount > 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                #expect(await client.sessionCount == 0)
                let bmc = try fleet.show(specs[0].name)
                #expect(bmc.counters.sessionsOpened == 6, "one session per request")
                #expect(bmc.counters.commands == 6)
                #expect(bmc.activeSessions == 0, "every session closed")
                #expect(bmc.counters.sessionsExpired == 0 && bmc.counters.setupRefusals == 0)
            }
            try await withClient(BMCClientConfiguration(retransmitInterval: .milliseconds(100))) { client in
                for _ in 0..<6 {
                    let on = try await client.powerIsOn(endpoint(specs[1]), credentials: credentials)
                    #expect(on == specs[1].powerOn)
                }
                let bmc = try fleet.show(specs[1].name)
                #expect(bmc.counters.sessionsOpened == 1, "the default reuses one session")
                #expect(bmc.activeSessions == 1)
            }
        }
    }

    @Test("a BMC that lost its session (restarted afresh) is transparently re-established")
    func reestablishes() async throws {
        try await withFleet(count: 1) { fleet, specs in
            let configuration = BMCClientConfiguration(retransmitInterval: .milliseconds(50), maximumAttempts: 3)
            try await withClient(configuration) { client in
                #expect(try await client.powerIsOn(endpoint(specs[0]), credentials: credentials) == specs[0].powerOn)
                #expect(try await client.powerIsOn(endpoint(specs[0]), credentials: credentials) == specs[0].powerOn)
                #expect(try fleet.show(specs[0].name).counters.sessionsOpened == 1)
                // The same BMC, fresh: it has never heard of our session.
                try await fleet.delete(specs[0].name)
                try await fleet.add(specs[0])
                #expect(try await client.powerIsOn(endpoint(specs[0]), credentials: credentials) == specs[0].powerOn)
                #expect(try await client.powerIsOn(endpoint(specs[0]), credentials: credentials) == specs[0].powerOn)
                #expect(try fleet.show(specs[0].name).counters.sessionsOpened == 1)
                #expect(try fleet.show(specs[0].name).counters.commands == 2)

                // A stopped BMC times out; once started again, the next request opens a new session.
                try await fleet.stop(specs[0].name)
                await #expect(throws: ConsoleError.self) {
                    _ = try await client.powerIsOn(endpoint(specs[0]), credentials: credentials)
                }
                try await fleet.start(specs[0].name)
                #expect(try await client.powerIsOn(endpoint(specs[0]), credentials: credentials) == specs[0].powerOn)
                #expect(try fleet.show(specs[0].name).counters.sessionsOpened == 2)
            }
        }
    }

    @Test("rotated credentials: a typed error, then back-off without traffic; new credentials are tried at once")
    func credentialsBackOff() async throws {
        try await withFleet(count: 1, customize: { $0[0].faults.credentialsRotated = true }) { fleet, specs in
            let configuration = BMCClientConfiguration(scheduling: BMCSchedulingConfiguration(credentialBackOff: .seconds(60)),
                                                       retransmitInterval: .milliseconds(100))
            try await withClient(configuration) { client in
                do {
                    _ = try await client.powerIsOn(endpoint(specs[0]), credentials: credentials)
                    Issue.record("rotated credentials were accepted")
                } catch let error as ConsoleError {
                    #expect(BMCSchedulingPolicy<String>.isCredentialFailure(error), "\(error)")
                    #expect(!"\(error)".contains("password\""))
                }
                let before = try fleet.show(specs[0].name).counters.datagramsIn
                #expect(before > 0)
                for _ in 0..<5 {
                    do {
                        _ = try await client.powerIsOn(endpoint(specs[0]), credentials: credentials)
                        Issue.record("a request went through during the back-off")
                    } catch BMCClientError.backingOff(let error, let delay) {
                        #expect(BMCSchedulingPolicy<String>.isCredentialFailure(error))
                        #expect(delay > .seconds(50) && delay <= .seconds(60))
                    }
                }
                #expect(try fleet.show(specs[0].name).counters.datagramsIn == before, "no traffic while backing off")

                // Different credentials reset the back-off and are tried (and fail) on the wire.
                let other = BMCCredentials(username: "admin", password: "another")
                await #expect(throws: ConsoleError.self) {
                    _ = try await client.powerIsOn(endpoint(specs[0]), credentials: other)
                }
                #expect(try fleet.show(specs[0].name).counters.datagramsIn > before)
            }
        }
    }

    @Test("requests to one endpoint are spaced by the minimum interval; other endpoints are not held up")
    func pacing() async throws {
        try await withFleet(count: 2) { fleet, specs in
            let configuration = BMCClientConfiguration(scheduling: BMCSchedulingConfiguration(minimumInterval: .milliseconds(300)),
                                                       retransmitInterval: .milliseconds(200))
            try await withClient(configuration) { client in
                // Open the sessions first, so only the polls are timed.
                _ = try await client.powerIsOn(endpoint(specs[0]), credentials: credentials)
                _ = try await client.powerIsOn(endpoint(specs[1]), credentials: credentials)
                try await Task.sleep(for: .milliseconds(300))
                let clock = ContinuousClock()
                let start = clock.now
                let finishes = try await withThrowingTaskGroup(of: (Int, Duration).self) { group in
                    for _ in 0..<3 {
                        let endpoint = endpoint(specs[0]), credentials = credentials
                        group.addTask {
                            _ = try await client.powerIsOn(endpoint, credentials: credentials)
                            return (0, clock.now - start)
                        }
                    }
                    let other = endpoint(specs[1]), credentials = credentials
                    group.addTask {
                        _ = try await client.powerIsOn(other, credentials: credentials)
                        return (1, clock.now - start)
                    }
                    return try await group.reduce(into: [(Int, Duration)]()) { $0.append($1) }
                }
                let same = finishes.filter { $0.0 == 0 }.map(\.1).sorted()
                #expect(same.count == 3)
                #expect(same[2] >= .milliseconds(600), "three requests to one endpoint take two intervals: \(same)")
                #expect(same[1] >= .milliseconds(300), "\(same)")
                let other = try #require(finishes.first { $0.0 == 1 }?.1)
                #expect(other < .milliseconds(300), "another endpoint is not paced by the first: \(other)")
                #expect(try fleet.show(specs[0].name).counters.sessionsOpened == 1)
            }
        }
    }

    @Test("cancelling a request still waiting for its turn withdraws it without traffic")
    func cancelWaiting() async throws {
        try await withFleet(count: 1) { fleet, specs in
            let configuration = BMCClientConfiguration(scheduling: BMCSchedulingConfiguration(minimumInterval: .seconds(30)),
                                                       retransmitInterval: .milliseconds(200))
            try await withClient(configuration) { client in
                let endpoint = endpoint(specs[0]), credentials = credentials
                _ = try await client.powerIsOn(endpoint, credentials: credentials)
                let before = try fleet.show(specs[0].name).counters.datagramsIn
                let clock = ContinuousClock()
                let start = clock.now
                let waiter = Task { try await client.powerIsOn(endpoint, credentials: credentials) }
                try await Task.sleep(for: .milliseconds(100))
                waiter.cancel()
                await #expect(throws: CancellationError.self) { _ = try await waiter.value }
                #expect(clock.now - start < .seconds(5))
                #expect(try fleet.show(specs[0].name).counters.datagramsIn == before)
            }
        }
    }

    @Test("shutdown ends a request stuck on a silent BMC and refuses new ones")
    func shutdownWithRequestInFlight() async throws {
        try await withFleet(count: 1) { fleet, specs in
            let client = BMCClient(configuration: BMCClientConfiguration(retransmitInterval: .seconds(2),
                                                                         closeTimeout: .milliseconds(300)))
            try await client.start()
            let endpoint = endpoint(specs[0]), credentials = credentials
            _ = try await client.powerIsOn(endpoint, credentials: credentials)
            try await fleet.stop(specs[0].name)
            let stuck = Task { try await client.powerIsOn(endpoint, credentials: credentials) }
            try await Task.sleep(for: .milliseconds(100))
            let clock = ContinuousClock()
            let start = clock.now
            await client.shutdown()
            #expect(clock.now - start < .seconds(2))
            await #expect(throws: BMCClientError.shutDown) { _ = try await stuck.value }
            await #expect(throws: BMCClientError.shutDown) { _ = try await client.powerIsOn(endpoint, credentials: credentials) }
        }
    }
}

@Test("only reads are repeated on a fresh session: power and boot-option writes never")
func onlyReadsAreRepeatedOnAFreshSession() {
    #expect(GetChassisStatus.request.isSafeToRepeat)
    #expect(GetDeviceID.request.isSafeToRepeat)
    #expect(SystemBootOptions.getRequest(parameter: BootFlags.parameter).isSafeToRepeat)
    for action in ChassisControl.allCases { #expect(!action.request.isSafeToRepeat, "\(action)") }
    #expect(!SystemBootOptions.setBootFlags(BootFlags(device: .pxe)).isSafeToRepeat)
}

import Controller
import IPMI
import Testing
import TestSupport
import VirtualBMCCore

/// BMCs on slow links: a round trip longer than the retransmission interval must still open a session.
@Suite("Slow BMCs")
struct SlowBMCTests {
    // Before handshake retries waited longer each attempt, every case from 200 ms up failed: each retry restarted
    // the handshake just before the answer to the previous one arrived.
    @Test("the handshake completes when the round trip exceeds the retransmission interval", arguments: [100, 200, 300, 450])
    func slowHandshake(latencyMilliseconds: Int) async throws {
        try await withFleet(count: 1, customize: { $0[0].faults = FaultSpec(latency: .milliseconds(latencyMilliseconds)) }) { fleet, specs in
            let client = BMCClient(configuration: BMCClientConfiguration(retransmitInterval: .milliseconds(200), maximumAttempts: 3))
            try await client.start()
            let endpoint = BMCEndpoint(address: specs[0].address, port: specs[0].port)
            let result = await Result(catching: {
                try await client.powerIsOn(endpoint, credentials: BMCCredentials(username: "admin", password: "password"))
            })
            await client.shutdown()
            #expect(try result.get() == specs[0].powerOn)
            // Usually one session; a loaded machine may time out one attempt, which is what retries are for.
            let opened = try fleet.show(specs[0].name).counters.sessionsOpened
            #expect(opened >= 1)
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

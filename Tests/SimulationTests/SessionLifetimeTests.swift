import IPMI
import Simulation
import Testing

/// What the BMC's session table does over time: half-open sessions go, kept-alive sessions stay.
@Suite struct SessionLifetimeTests {
    @Test func aWrongPasswordLeavesAHalfOpenSessionThatExpires() throws {
        var harness = Fixture.harness(seed: 9, console: Fixture.console(password: "wrong"))
        let summary = harness.establish()
        #expect(summary == nil)
        #expect(harness.failure == .wrongPassword)
        // The console sent no RAKP3, as real clients do: the BMC holds the session awaiting it.
        let session = try #require(harness.bmc.sessions.values.first)
        #expect(harness.bmc.sessions.count == 1)
        #expect(!session.isActive)

        let setupTimeout = Fixture.bmc().setupTimeout
        harness.run(until: session.lastActivity + setupTimeout - .milliseconds(1))
        #expect(harness.bmc.sessions.count == 1)
        harness.run(for: .seconds(1) + .milliseconds(1))
        #expect(harness.bmc.sessions.isEmpty)
        #expect(harness.expiredSessions == [session.bmcSessionID])
    }

    @Test func keepAliveHoldsAnIdleSessionOpen() throws {
        var harness = Fixture.harness(seed: 10)
        let established = harness.establish()
        let summary = try #require(established)
        harness.run(for: .seconds(600))

        let finished = harness.isFinished
        #expect(!finished)
        #expect(harness.expiredSessions.isEmpty)
        #expect(harness.bmc.sessions[summary.bmcSessionID]?.isActive == true)
        // One Get Device ID per keep-alive interval (25 s) of idleness, plus a round trip each: 23 in 600 s.
        let keepAlives = harness.dispatches.filter { $0.message.command == GetDeviceID.command }
        #expect(keepAlives.count == 23)
        #expect(harness.bmc.sessions.count == 1)
        // And the session still works.
        let status = try harness.answer(GetChassisStatus.request)
        #expect(status.completionCode == .ok)
    }

    @Test func withoutKeepAliveInTimeTheBMCExpiresTheSession() throws {
        var harness = Fixture.harness(seed: 11, console: Fixture.console(keepAliveInterval: .seconds(90)))
        let established = harness.establish()
        let summary = try #require(established)
        harness.run(for: .seconds(80))
        #expect(harness.expiredSessions == [summary.bmcSessionID])
        // The keep-alive then goes to a session the BMC no longer knows, and the console gives up with a timeout.
        harness.run(for: .seconds(60))
        #expect(harness.failure?.isTimeout == true)
        #expect(harness.ignoredByBMC.allSatisfy { $0.reason == .unknownSession })
        #expect(harness.ignoredByBMC.count == Fixture.console().maximumAttempts)
    }
}

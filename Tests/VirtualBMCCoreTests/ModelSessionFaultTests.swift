import IPMI
import Testing
import VirtualBMCCore

/// Faults of the session layer and of command handling, driven by a real `ConsoleStateMachine`.
@Suite struct ModelSessionFaultTests {
    @Test func aCleanNodeServesAWholeSession() throws {
        var bench = Bench()
        let established = bench.establish()
        let summary = try #require(established)
        #expect(summary.suite == .suite17 && summary.privilege == .administrator)
        #expect(bench.run(ChassisControl.powerUp.request)?.completionCode == .ok)
        #expect(bench.powerIsOn() == true)
        #expect(bench.run(GetSystemGUID.request)?.data == bench.node.spec.guid)
        #expect(bench.node.counters.sessionsOpened == 1 && bench.node.counters.commands == 3)
        #expect(bench.node.activeSessionCount == 1)
    }

    @Test func aFullSessionTableRefusesOpenSessionWithStatus01() throws {
        var bench = Bench(spec: .fixture(faults: FaultSpec(sessionTableFull: true)))
        #expect(bench.establish() == nil)
        #expect(bench.failure == .handshakeRejected(.insufficientResources))
        let refusal = try #require(bench.replies.last)
        #expect(payloadType(refusal.bytes) == .openSessionResponse && refusal.bytes[17] == 0x01)
        #expect(bench.node.counters.setupRefusals == 1 && bench.node.sessionCount == 0)

        bench.node.clearFaults(now: bench.now)
        bench.reconnect()
        #expect(bench.establish() != nil)
    }

    @Test func sessionsOpenBeforeTheTableFilledKeepWorking() {
        var bench = Bench()
        #expect(bench.establish() != nil)
        bench.node.setFaults(FaultSpec(sessionTableFull: true), now: bench.now)
        #expect(bench.powerIsOn() == false)
    }

    @Test func rotatedCredentialsFailTheOldPasswordUntilCleared() throws {
        var bench = Bench()
        bench.node.setFaults(FaultSpec(credentialsRotated: true), now: .zero)
        #expect(bench.establish() == nil)
        #expect(bench.failure == .wrongPassword, "RAKP2's AuthCode does not verify under the old password")
        let rakp2 = try #require(bench.replies.last)
        #expect(payloadType(rakp2.bytes) == .rakp2 && rakp2.bytes[17] == 0x00, "the user still exists")

        bench.node.clearFaults(now: bench.now)
        bench.reconnect()
        #expect(bench.establish() != nil, "the old password works again")
    }

    @Test func slowSessionSetupDelaysOnlyTheHandshakeReplies() throws {
        var bench = Bench(spec: .fixture(faults: FaultSpec(latency: .ms(10), slowSessionSetup: .seconds(2))))
        #expect(bench.establish() != nil)
        #expect(bench.run(GetDeviceID.request) != nil)
        for reply in bench.replies {
            let setup: Set<PayloadType> = [.openSessionResponse, .rakp2, .rakp4]
            let slow = payloadType(reply.bytes).map(setup.contains) ?? false
            #expect(reply.delay == (slow ? .ms(2010) : .ms(10)))
        }
        #expect(bench.replies.filter { $0.delay == .ms(2010) }.count == 3)
        #expect(bench.now >= .seconds(6), "three slow round trips")
    }

    @Test func busyAnswersC0WithTheConfiguredShare() throws {
        var bench = Bench(spec: .fixture(faults: FaultSpec(busy: 0.3)), seed: 11)
        #expect(bench.establish() != nil, "session set-up is not a command: busy does not touch it")
        let codes = (0..<500).compactMap { _ in bench.run(GetChassisStatus.request)?.completionCode }
        #expect(codes.count == 500)
        let busy = codes.filter { $0 == .nodeBusy }.count
        #expect((100...200).contains(busy), "\(busy) of 500 busy")
        #expect(codes.allSatisfy { $0 == .ok || $0 == .nodeBusy })
        #expect(bench.node.counters.busyReplies == busy)
        #expect(bench.node.counters.commands == 500)
    }

    @Test func busyNeverRunsTheCommand() {
        var bench = Bench(spec: .fixture(faults: FaultSpec(busy: 1)))
        #expect(bench.establish() != nil)
        #expect(bench.run(ChassisControl.powerUp.request)?.completionCode == .nodeBusy)
        #expect(!bench.node.chassis.powerOn && bench.node.chassis.controlHistory.isEmpty)
    }

    @Test func idleSessionsExpireOnAdvance() {
        var bench = Bench()
        #expect(bench.establish() != nil)
        bench.node.advance(to: bench.now + .seconds(30))
        #expect(bench.node.sessionCount == 1)
        bench.node.advance(to: bench.now + .seconds(61))
        #expect(bench.node.sessionCount == 0 && bench.node.counters.sessionsExpired == 1)
    }

    @Test func aWrongPasswordLeavesAHalfOpenSessionThatExpires() {
        var bench = Bench(password: "not-it")
        #expect(bench.establish() == nil && bench.failure == .wrongPassword)
        #expect(bench.node.sessionCount == 1 && bench.node.activeSessionCount == 0)
        bench.node.advance(to: bench.now + .seconds(5))
        #expect(bench.node.sessionCount == 0)
    }
}

import IPMI
import Simulation
import VirtualBMCCore
import Testing

/// A perfect network: the whole protocol must work end to end, for every suite, with nothing left behind.
@Suite struct CleanNetworkTests {
    @Test(arguments: [(UInt8?.some(3), UInt8(3)), (17, 17), (nil, 17)])
    func handshakeEstablishesTheSuite(pinned: UInt8?, expected: UInt8) throws {
        var harness = Fixture.harness(seed: 1, suite: pinned)
        let established = harness.establish()
        let summary = try #require(established)
        #expect(summary.suite.id == expected)
        #expect(summary.privilege == .administrator)
        #expect(harness.bmc.activeSessionCount == 1)
        #expect(harness.bmc.sessions[summary.bmcSessionID]?.consoleSessionID == summary.consoleSessionID)
        // One packet each way per step, no retransmission on a perfect network.
        #expect(harness.network.statistics(on: BackToBackHarness.linkToBMC).dropped == 0)
        #expect(harness.now < .milliseconds(50))
    }

    @Test func negotiationFallsBackToSuite3WhenThatIsAllTheBMCOffers() throws {
        var harness = Fixture.harness(seed: 1, bmc: Fixture.bmc(suites: [.suite3]))
        let summary = harness.establish()
        #expect(summary?.suite.id == 3)
    }

    @Test(arguments: [UInt8(3), 17])
    func powerOnThenStatusReadsOnThenCloseEmptiesTheTable(suite: UInt8) throws {
        var harness = Fixture.harness(seed: 2, suite: suite)
        let summary = harness.establish()
        try #require(summary != nil)

        let statusBefore = try harness.answer(GetChassisStatus.request)
        #expect(try GetChassisStatus.Response(data: statusBefore.data).powerOn == false)

        let powerUp = try harness.answer(ChassisControl.powerUp.request)
        #expect(powerUp.completionCode == .ok)
        #expect(harness.chassis.powerOn)

        let statusAfter = try harness.answer(GetChassisStatus.request)
        #expect(try GetChassisStatus.Response(data: statusAfter.data).powerOn == true)

        let guid = try harness.answer(GetSystemGUID.request)
        #expect(try GetSystemGUID.guid(in: guid.data) == Fixture.guid)
        let device = try harness.answer(GetDeviceID.request)
        #expect(try GetDeviceID.Response(data: device.data) == harness.chassis.deviceID)

        let closed = harness.closeSession()
        #expect(closed)
        #expect(harness.failure == nil)
        #expect(harness.bmc.sessions.isEmpty)
        #expect(harness.ignoredByBMC.isEmpty)
        #expect(harness.dispatches.count == 5)
    }

    @Test func theWholeWorkloadIsRightAndEachRequestRunsOnce() {
        var harness = Fixture.harness(seed: 3)
        let tokens = Workload.run(&harness)
        let allRight = Workload.allRight(harness, tokens)
        #expect(allRight)
        #expect(harness.chassis.controlHistory == Workload.controls)
        #expect(harness.dispatches.count == Workload.steps.count)
        let closed = harness.isClosed
        #expect(closed)
        #expect(harness.bmc.sessions.isEmpty)
    }

    @Test func requestsAfterCloseFailAsSessionClosed() throws {
        var harness = Fixture.harness(seed: 4)
        let summary = harness.establish()
        try #require(summary != nil)
        let closed = harness.closeSession()
        #expect(closed)
        let late = harness.perform(GetChassisStatus.request)
        #expect(late == .failure(.sessionClosed))
    }
}

import Foundation
import IPMI
import Testing
import VirtualBMCCore

/// The node as the fleet shell sees it: determinism, snapshots, counters.
@Suite struct ModelNodeTests {
    /// A session with faults that draw randomness (jitter, busy) and a loss-stricken ping burst.
    func script(seed: UInt64) -> (replies: [[UInt8]], delays: [Duration], pings: Int) {
        let faults = FaultSpec(latency: .ms(5), jitter: .ms(20), busy: 0.2)
        var bench = Bench(spec: .fixture(timings: ChassisTimings(powerTransition: .seconds(1)), faults: faults), seed: seed)
        bench.establish()
        _ = bench.run(ChassisControl.powerUp.request)
        for _ in 0..<20 { _ = bench.run(GetChassisStatus.request) }
        bench.node.setFaults(FaultSpec(packetLoss: 0.5), now: bench.now)
        let answered = pings(200, to: &bench.node, from: bench.now).count
        return (bench.replies.map(\.bytes), bench.replies.map(\.delay), answered)
    }

    @Test func sameSeedGivesIdenticalReplyBytesAndDelays() {
        let first = script(seed: 2024), second = script(seed: 2024)
        #expect(first.replies.count > 20)
        #expect(first.replies == second.replies)
        #expect(first.delays == second.delays)
        #expect(first.pings == second.pings)
        let other = script(seed: 2025)
        #expect(other.replies != first.replies, "session IDs, randoms and IVs come from the seed")
    }

    @Test func faultsDoNotShiftTheSessionBytes() {
        // Same seed, one node with a latency fault: the session bytes must not change, only the delays.
        var plain = Bench(seed: 5), slow = Bench(spec: .fixture(faults: FaultSpec(latency: .ms(40))), seed: 5)
        plain.establish()
        slow.establish()
        #expect(plain.replies.map(\.bytes).prefix(4) == slow.replies.map(\.bytes).prefix(4))
    }

    @Test func snapshotShowsStateFaultsAndCountersAsPlainValues() throws {
        let timings = ChassisTimings(powerTransition: .seconds(2), cycleOffTime: .seconds(3))
        var bench = Bench(spec: .fixture(powerOn: true, timings: timings))
        bench.establish()
        _ = bench.run(SystemBootOptions.setBootFlags(BootFlags(device: .pxe, persistent: true, efi: true)))
        _ = bench.run(ChassisControl.powerCycle.request)
        bench.node.setFaults(FaultSpec(latency: .ms(1500), flappingPeriod: .seconds(60), staleStatus: .ms(250)), now: bench.now)

        let snapshot = bench.node.snapshot(now: bench.now + .seconds(1))
        #expect(snapshot.name == "bmc-1" && snapshot.address == "127.0.1.1" && snapshot.port == 623)
        #expect(snapshot.powerOn)
        let transition = try #require(snapshot.pendingTransition)
        #expect(transition.kind == .powerCycle && transition.targetPowerOn)
        #expect(transition.nextChangeInMilliseconds <= 1000 && transition.completesInMilliseconds <= 6000)
        #expect(transition.completesInMilliseconds > 5000)
        #expect(snapshot.bootDevice == "pxe" && snapshot.bootPersistent && snapshot.bootEFI)
        #expect(snapshot.activeSessions == 1 && snapshot.sessions == 1 && snapshot.cycles == 1)
        #expect(snapshot.faults.latencyMilliseconds == 1500 && snapshot.faults.flappingPeriodMilliseconds == 60_000)
        #expect(snapshot.faults.staleStatusMilliseconds == 250 && snapshot.faults.spec == bench.node.spec.faults)
        #expect(snapshot.counters == bench.node.counters)

        let json = try JSONEncoder().encode(snapshot)
        #expect(try JSONDecoder().decode(BMCSnapshot.self, from: json) == snapshot)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"latency_ms\":1500") && text.contains("\"kind\":\"power cycle\""))
    }

    @Test func countersAddUp() {
        var bench = Bench()
        bench.establish()
        _ = bench.run(GetDeviceID.request)
        _ = bench.node.receive([0x06, 0x00, 0xFF, 0x07, 0x06], from: "console", now: bench.now)  // truncated
        let counters = bench.node.counters
        #expect(counters.datagramsIn == counters.datagramsOut + counters.ignored + counters.dropped)
        #expect(counters.ignored == 1 && counters.sessionsOpened == 1 && counters.commands == 1)
    }

    @Test func initialFaultsFromTheSpecApply() {
        var bench = Bench(spec: .fixture(faults: FaultSpec(credentialsRotated: true)))
        #expect(bench.establish() == nil && bench.failure == .wrongPassword)
        #expect(bench.node.spec.faults.credentialsRotated)
    }

    @Test func aNodeIsSmall() {
        // Not a memory benchmark (that is `ferrum bench`): a guard against a large inline field creeping in.
        #expect(MemoryLayout<Node>.size < 1024, "\(MemoryLayout<Node>.size) bytes inline")
    }
}

import IPMI
import Testing
import VirtualBMCCore

/// Faults that act on datagrams before or after the session layer: loss, dead, latency and jitter.
@Suite struct ModelPacketFaultTests {
    @Test func aHealthyNodeAnswersEveryPingAtOnce() {
        var node = Node(spec: .fixture(), seed: 1, now: .zero)
        let replies = pings(100, to: &node)
        #expect(replies.count == 100)
        #expect(replies.allSatisfy { $0.delay == .zero })
        #expect(node.counters.datagramsIn == 100 && node.counters.datagramsOut == 100 && node.counters.dropped == 0)
    }

    @Test func packetLossDropsTheConfiguredShareReproducibly() {
        func run(seed: UInt64) -> (answered: Int, counters: BMCCounters) {
            var node = Node(spec: .fixture(faults: FaultSpec(packetLoss: 0.25)), seed: seed, now: .zero)
            return (pings(10_000, to: &node).count, node.counters)
        }
        let first = run(seed: 42)
        #expect((7_300...7_700).contains(first.answered), "\(first.answered) of 10000 answered")
        #expect(first.counters.dropped == 10_000 - first.answered)
        #expect(run(seed: 42).answered == first.answered, "same seed, same drops")
        #expect(run(seed: 43).answered != first.answered)
    }

    @Test func aDeadNodeNeverAnswersUntilRevived() {
        var node = Node(spec: .fixture(faults: FaultSpec(dead: true)), seed: 1, now: .zero)
        #expect(pings(50, to: &node).isEmpty)
        #expect(node.counters.dropped == 50 && node.counters.datagramsOut == 0)
        node.clearFaults(now: .seconds(1))
        #expect(pings(5, to: &node, from: .seconds(1)).count == 5)
    }

    @Test func latencyAndJitterBoundEveryDelay() {
        let faults = FaultSpec(latency: .ms(100), jitter: .ms(30))
        var node = Node(spec: .fixture(faults: faults), seed: 9, now: .zero)
        let delays = pings(2_000, to: &node).map(\.delay)
        #expect(delays.count == 2_000)
        #expect(delays.allSatisfy { $0 >= .ms(100) && $0 < .ms(130) })
        #expect(delays.min()! < .ms(101) && delays.max()! > .ms(129), "jitter spreads over its whole range")
    }

    @Test func latencyWithoutJitterIsExact() {
        var node = Node(spec: .fixture(), seed: 9, now: .zero)
        node.setFaults(FaultSpec(latency: .ms(250)), now: .zero)
        #expect(pings(10, to: &node).allSatisfy { $0.delay == .ms(250) })
    }

    @Test func faultsSwitchAtRunTimePerNode() {
        var a = Node(spec: .fixture(), seed: 1, now: .zero)
        var b = Node(spec: .fixture(), seed: 1, now: .zero)
        a.setFaults(FaultSpec(dead: true), now: .zero)
        #expect(pings(3, to: &a).isEmpty)
        #expect(pings(3, to: &b).count == 3)
        #expect(a.spec.faults.dead && b.spec.faults.isNone)
        a.clearFaults(now: .seconds(1))
        #expect(a.spec.faults.isNone)
    }
}

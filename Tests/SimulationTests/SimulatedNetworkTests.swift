import IPMI
import Simulation
import Testing

@Suite struct SimulatedNetworkTests {
    static let link = SimLink(from: "a", to: "b")
    static let back = SimLink(from: "b", to: "a")

    /// Sends `count` datagrams one millisecond apart and returns every delivery.
    static func sendMany(_ network: inout SimulatedNetwork, count: Int, on link: SimLink = link) -> [SimDelivery] {
        (0..<count).flatMap { index in
            network.send([UInt8(truncatingIfNeeded: index)], on: link, now: .milliseconds(index))
        }
    }

    @Test func sameSeedSameDecisions() {
        let faults = LinkFaults(latency: .milliseconds(5), jitter: .milliseconds(50), dropProbability: 0.2,
                                duplicateProbability: 0.2)
        var first = SimulatedNetwork(seed: 42, defaultFaults: faults)
        var second = SimulatedNetwork(seed: 42, defaultFaults: faults)
        var other = SimulatedNetwork(seed: 43, defaultFaults: faults)
        let deliveries = Self.sendMany(&first, count: 200)
        #expect(deliveries == Self.sendMany(&second, count: 200))
        #expect(deliveries != Self.sendMany(&other, count: 200))
    }

    @Test func dropAndDuplicateRatesFollowTheProbabilities() {
        let faults = LinkFaults(dropProbability: 0.3, duplicateProbability: 0.5)
        var network = SimulatedNetwork(seed: 7, defaultFaults: faults)
        _ = Self.sendMany(&network, count: 10_000)
        let stats = network.statistics(on: Self.link)
        #expect(stats.sent == 10_000)
        #expect((2_700...3_300).contains(stats.dropped))
        // Duplicates are drawn among the datagrams that got through.
        #expect((3_200...3_800).contains(stats.duplicated))
    }

    @Test func delaysStayWithinLatencyPlusJitterAndJitterReorders() {
        let faults = LinkFaults(latency: .milliseconds(10), jitter: .milliseconds(100))
        var network = SimulatedNetwork(seed: 1, defaultFaults: faults)
        let deliveries = Self.sendMany(&network, count: 1_000)
        #expect(deliveries.count == 1_000)
        for (index, delivery) in deliveries.enumerated() {
            let delay = delivery.arrival - .milliseconds(index)
            #expect(delay >= .milliseconds(10) && delay <= .milliseconds(110))
        }
        #expect(network.statistics(on: Self.link).reordered > 100)

        var steady = SimulatedNetwork(seed: 1, defaultFaults: LinkFaults(latency: .milliseconds(10)))
        _ = Self.sendMany(&steady, count: 1_000)
        #expect(steady.statistics(on: Self.link).reordered == 0)
    }

    @Test func faultsArePerDirection() {
        var network = SimulatedNetwork(seed: 3)
        network.setFaults(LinkFaults(dropProbability: 1), on: Self.link)
        #expect(Self.sendMany(&network, count: 50).isEmpty)
        #expect(Self.sendMany(&network, count: 50, on: Self.back).count == 50)
    }

    @Test func dropNextLosesExactlyThatManyOnThatLink() {
        var network = SimulatedNetwork(seed: 3)
        network.dropNext(2, on: Self.link)
        #expect(Self.sendMany(&network, count: 1, on: Self.back).count == 1)
        #expect(Self.sendMany(&network, count: 5).count == 3)
        #expect(network.statistics(on: Self.link).dropped == 2)
    }
}

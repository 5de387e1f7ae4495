import IPMI
import Simulation
import Testing

@Suite struct DeterminismTests {
    static let faults = LinkFaults(latency: .milliseconds(2), jitter: .milliseconds(300), dropProbability: 0.1,
                                   duplicateProbability: 0.2)

    static func traceOfRun(seed: UInt64) -> [String] {
        var harness = Fixture.harness(seed: seed, faults: faults)
        _ = Workload.run(&harness)
        harness.run(for: .seconds(30))
        return harness.trace
    }

    @Test(arguments: [UInt64(1), 99, 0xDEAD_BEEF])
    func sameSeedSameTrace(seed: UInt64) {
        let first = Self.traceOfRun(seed: seed)
        #expect(first.count > 50)
        #expect(first == Self.traceOfRun(seed: seed))
    }

    @Test func differentSeedsDiffer() {
        let traces = (1...5).map { Self.traceOfRun(seed: $0) }
        #expect(Set(traces).count == traces.count)
    }
}

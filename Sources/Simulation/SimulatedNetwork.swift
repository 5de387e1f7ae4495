import IPMI

/// How one direction of a link treats datagrams. Every decision is drawn from the network's seeded generator.
public struct LinkFaults: Sendable, Hashable {
    /// Every copy takes at least this long.
    public var latency: Duration
    /// Each copy waits a further uniform [0, jitter]; large jitter lets later datagrams overtake earlier ones.
    public var jitter: Duration
    /// Chance that a datagram is lost.
    public var dropProbability: Double
    /// Chance that a datagram that got through arrives twice (each copy with its own delay).
    public var duplicateProbability: Double

    public init(latency: Duration = .milliseconds(1), jitter: Duration = .zero, dropProbability: Double = 0,
                duplicateProbability: Double = 0) {
        self.latency = latency
        self.jitter = jitter
        self.dropProbability = dropProbability
        self.duplicateProbability = duplicateProbability
    }

    /// A fixed 1 ms, no loss, no duplicates, no reordering.
    public static let perfect = Self()
}

/// One direction between two named endpoints.
public struct SimLink: Sendable, Hashable, CustomStringConvertible {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    public var description: String { "\(from)>\(to)" }
}

/// A datagram in flight. `id` is unique per send; both copies of a duplicated datagram share it.
public struct SimDatagram: Sendable, Hashable {
    public var id: UInt64
    public var link: SimLink
    public var bytes: [UInt8]
    /// The second copy of a duplicated datagram.
    public var isDuplicate: Bool
}

/// What the network did with one datagram, for traces and assertions.
public struct SimDelivery: Sendable, Hashable {
    public var arrival: Duration
    public var datagram: SimDatagram
}

/// Counters per direction.
public struct LinkStatistics: Sendable, Hashable {
    public var sent = 0
    public var dropped = 0
    public var duplicated = 0
    /// Copies due before a copy sent earlier on the same link: they overtake it.
    public var reordered = 0
    /// The latest arrival scheduled so far, to spot overtaking.
    var latestArrival: Duration = .zero
}

/// A datagram network between named endpoints with a seeded fault model per direction.
///
/// It does not own time: `send` returns the deliveries with their arrival instants, and the caller schedules them.
/// That keeps it a value usable from any discrete-event loop.
public struct SimulatedNetwork: Sendable {
    public var defaultFaults: LinkFaults
    private var faultsByLink: [SimLink: LinkFaults] = [:]
    private var pendingDrops: [SimLink: Int] = [:]
    public private(set) var statistics: [SimLink: LinkStatistics] = [:]
    private var generator: SeededGenerator
    private var nextID: UInt64 = 0

    public init(generator: SeededGenerator, defaultFaults: LinkFaults = .perfect) {
        self.generator = generator
        self.defaultFaults = defaultFaults
    }

    public init(seed: UInt64, defaultFaults: LinkFaults = .perfect) {
        self.init(generator: SeededGenerator(seed: seed), defaultFaults: defaultFaults)
    }

    public func faults(on link: SimLink) -> LinkFaults { faultsByLink[link] ?? defaultFaults }

    /// Sets the faults of one direction; the other direction is unaffected.
    public mutating func setFaults(_ faults: LinkFaults, on link: SimLink) { faultsByLink[link] = faults }

    public func statistics(on link: SimLink) -> LinkStatistics { statistics[link] ?? LinkStatistics() }

    /// Loses the next `count` datagrams sent on `link` whatever the fault model says: a targeted fault for
    /// hand-written scenarios ("lose the answer to this request").
    public mutating func dropNext(_ count: Int, on link: SimLink) {
        pendingDrops[link, default: 0] += count
    }

    /// Sends `bytes` at `now` and returns the copies that will arrive (zero, one or two).
    public mutating func send(_ bytes: [UInt8], on link: SimLink, now: Duration) -> [SimDelivery] {
        let faults = faults(on: link)
        nextID += 1
        // Four draws per datagram whatever the settings, so changing one probability does not shift later choices.
        let lost = generator.nextChance(faults.dropProbability)
        let dropped = takePendingDrop(on: link) || lost
        let duplicated = generator.nextChance(faults.duplicateProbability)
        let delays = [generator.nextDuration(upTo: faults.jitter), generator.nextDuration(upTo: faults.jitter)]
        var stats = statistics(on: link)
        stats.sent += 1
        defer { statistics[link] = stats }
        if dropped {
            stats.dropped += 1
            return []
        }
        let copies = duplicated ? 2 : 1
        if duplicated { stats.duplicated += 1 }
        var deliveries: [SimDelivery] = []
        for copy in 0..<copies {
            let arrival = now + faults.latency + delays[copy]
            if arrival < stats.latestArrival { stats.reordered += 1 }
            stats.latestArrival = max(stats.latestArrival, arrival)
            let datagram = SimDatagram(id: nextID, link: link, bytes: bytes, isDuplicate: copy == 1)
            deliveries.append(SimDelivery(arrival: arrival, datagram: datagram))
        }
        return deliveries
    }

    private mutating func takePendingDrop(on link: SimLink) -> Bool {
        guard let pending = pendingDrops[link], pending > 0 else { return false }
        pendingDrops[link] = pending - 1
        return true
    }
}

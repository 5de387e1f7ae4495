/// A discrete-event queue over virtual time: the heart of a deterministic run.
///
/// Time is a `Duration` since the start of the run; nothing here reads a real clock. Events due at the same instant
/// come out in the order they were scheduled, so a run never depends on heap layout or hash order.
public struct SimScheduler<Event: Sendable>: Sendable {
    /// One queued event; `sequence` breaks ties between equal instants (insertion order). The event itself waits in
    /// `slots`, so sifting moves only these three plain fields (a large event enum costs retains per swap).
    struct Entry: Sendable {
        var instant: Duration
        var sequence: UInt64
        var slot: Int

        func precedes(_ other: Self) -> Bool {
            instant != other.instant ? instant < other.instant : sequence < other.sequence
        }
    }

    /// The current virtual instant: the time of the last event taken, or the end of the last `advance(to:)`.
    public private(set) var now: Duration = .zero
    private var heap: [Entry] = []
    private var slots: [Event?] = []
    private var freeSlots: [Int] = []
    private var nextSequence: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }
    /// When the next event is due, if any.
    public var nextInstant: Duration? { heap.first?.instant }

    /// Schedules `event` at `instant`; an instant in the past is treated as now (time never runs backwards).
    public mutating func schedule(_ event: Event, at instant: Duration) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[free] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        let entry = Entry(instant: max(instant, now), sequence: nextSequence, slot: slot)
        nextSequence += 1
        heap.append(entry)
        siftUp(heap.count - 1)
    }

    public mutating func schedule(_ event: Event, after delay: Duration) {
        schedule(event, at: now + delay)
    }

    /// Takes the earliest event due at or before `limit` and moves `now` to its instant; nil when none is due.
    public mutating func next(notAfter limit: Duration? = nil) -> (instant: Duration, event: Event)? {
        guard let first = heap.first, limit.map({ first.instant <= $0 }) ?? true else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        now = first.instant
        guard let event = slots[first.slot] else { preconditionFailure("scheduled event missing from its slot") }
        slots[first.slot] = nil
        freeSlots.append(first.slot)
        return (first.instant, event)
    }

    /// Moves `now` forward to `instant` without taking events (call after draining everything due before it).
    public mutating func advance(to instant: Duration) {
        precondition(nextInstant.map { $0 >= instant } ?? true, "advancing past a pending event")
        now = max(now, instant)
    }

    // MARK: - Binary heap

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < heap.count, heap[left].precedes(heap[first]) { first = left }
            if right < heap.count, heap[right].precedes(heap[first]) { first = right }
            guard first != parent else { return }
            heap.swapAt(parent, first)
            parent = first
        }
    }
}

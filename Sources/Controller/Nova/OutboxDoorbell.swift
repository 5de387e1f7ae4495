import Synchronization

/// Rung after a commit that queued Nova events, so the notifier reads the outbox at once instead of polling it.
/// Rings never pile up: a subscriber that is busy sees one pending ring, which covers every row committed before
/// it reads. A subscriber that misses a ring (or rows another process wrote) is caught by its slow safety poll.
public final class OutboxDoorbell: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    public func ring() {
        subscribers.withLock { subscribers in
            for continuation in subscribers.values { continuation.yield() }
        }
    }

    /// A new stream of rings (at most one buffered); it ends when the consumer stops iterating.
    public func rings() -> AsyncStream<Void> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }
}

/// Serialises the write sections of one actor across its suspension points. An actor alone does not: while one
/// call awaits the store, another may enter and compute from the node as it was. Waiters run in arrival order.
struct AsyncWriteLock: Sendable {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Takes the lock if it is free; otherwise the caller must `enqueue` and wait to be resumed holding it.
    mutating func tryAcquire() -> Bool {
        guard !held else { return false }
        held = true
        return true
    }

    mutating func enqueue(_ waiter: CheckedContinuation<Void, Never>) { waiters.append(waiter) }

    /// Hands the lock straight to the next waiter (it stays held), or frees it.
    mutating func release() -> CheckedContinuation<Void, Never>? {
        guard !waiters.isEmpty else {
            held = false
            return nil
        }
        return waiters.removeFirst()
    }
}

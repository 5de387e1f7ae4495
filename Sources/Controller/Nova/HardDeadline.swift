import Synchronization

/// Runs `work` but returns `nil` once `deadline` has passed, whatever `work` is doing; `work` is then cancelled and
/// left to end on its own. corelibs URLSession on Linux can leave a request hanging far past its `timeoutInterval`
/// (seen after the server closed a connection whose TLS handshake the client had refused), and one hung request
/// must never stall the notifier: the issue asks for a request timeout that always holds.
package func withHardDeadline<T: Sendable>(_ deadline: Duration,
                                   _ work: @escaping @Sendable () async throws -> T) async throws -> T? {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation,
                       worker: Task {
                           do { race.finish(with: .success(try await work())) } catch { race.finish(with: .failure(error)) }
                       },
                       timer: Task {
                           guard (try? await Task.sleep(for: deadline)) != nil else { return }
                           race.finish(with: .success(nil))
                       })
        }
    } onCancel: {
        race.finish(with: .failure(CancellationError()))
    }
}

/// Resumes the continuation exactly once, with whichever of the work, the timer or a cancellation comes first.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T?, any Error>?
        var early: Result<T?, any Error>?
        var tasks: [Task<Void, Never>] = []
        var done = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T?, any Error>, worker: Task<Void, Never>, timer: Task<Void, Never>) {
        let early: Result<T?, any Error>? = state.withLock { state in
            state.tasks = [worker, timer]
            guard let early = state.early else {
                state.continuation = continuation
                return nil
            }
            return early
        }
        if let early {
            worker.cancel()
            timer.cancel()
            continuation.resume(with: early)
        }
    }

    func finish(with result: Result<T?, any Error>) {
        let (continuation, tasks): (CheckedContinuation<T?, any Error>?, [Task<Void, Never>]) = state.withLock { state in
            guard !state.done else { return (nil, []) }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, [])
            }
            state.continuation = nil
            return (continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}

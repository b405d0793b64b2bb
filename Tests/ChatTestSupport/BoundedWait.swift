import Synchronization

/// Waits for a task's result for a limited time. A test that awaits `task.value` directly can hang the whole run:
/// cancelling the test (its `.timeLimit`) does not cancel an unstructured task, and a task group would still wait
/// for a child that ignores cancellation. This returns once the task ends, the limit passes or the caller is
/// cancelled, whichever comes first, and never waits for the task after that (it is cancelled and left behind).
public enum BoundedWait {
    /// `task`'s value, or ``BoundedWaitExpired`` once `limit` has passed without it.
    public static func value<T: Sendable>(of task: Task<T, any Error>, within limit: Duration, _ what: String) async throws -> T {
        let once = Once<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                once.start(continuation)
                let timer = Task {
                    try? await Task.sleep(for: limit)
                    if once.resume(with: .failure(BoundedWaitExpired(what: what, limit: limit))) { task.cancel() }
                }
                Task {
                    let result = await task.result
                    if once.resume(with: result) { timer.cancel() }
                }
            }
        } onCancel: {
            if once.resume(with: .failure(CancellationError())) { task.cancel() }
        }
    }

    /// The caller's continuation, resumed by whichever of task, timer and cancellation comes first.
    private final class Once<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            /// Set when a result came before the continuation was in place (cancellation on entry).
            var early: Result<T, any Error>?
            var done = false
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            let early = state.withLock { state in
                if state.early == nil { state.continuation = continuation }
                return state.early
            }
            if let early { continuation.resume(with: early) }
        }

        /// True if this call delivered the result (the first one does).
        @discardableResult
        func resume(with result: Result<T, any Error>) -> Bool {
            let (first, continuation) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?) in
                guard !state.done else { return (false, nil) }
                state.done = true
                guard let continuation = state.continuation else {
                    state.early = result
                    return (true, nil)
                }
                state.continuation = nil
                return (true, continuation)
            }
            continuation?.resume(with: result)
            return first
        }
    }
}

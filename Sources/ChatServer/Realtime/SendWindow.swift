import Synchronization

/// The `message:send`s of one socket that are queued for the store but not answered yet, at most ``limit``.
///
/// A socket's sends are queued one after the other in arrival order and answered when committed, so a client that
/// pipelines sends gets them stored in order without each waiting for the previous one's commit. The window bounds
/// what one socket can have waiting in the server: a send beyond it waits (and with it the socket's later events,
/// and then the socket's reading) until an earlier one is answered.
final class SendWindow: Sendable {
    static let limit = 16

    private struct State {
        var inFlight = 0
        /// The socket's handlers run one at a time, so at most one send waits for room.
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Takes a place in the window, waiting while it is full.
    func acquire() async {
        let taken = state.withLock { state -> Bool in
            guard state.inFlight < Self.limit else { return false }
            state.inFlight += 1
            return true
        }
        if taken { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.inFlight < Self.limit {
                    state.inFlight += 1
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Gives a place back (its send was answered); a waiting send takes it.
    func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.inFlight -= 1
                return nil
            }
            // The place passes straight to the waiting send.
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}

import NIOCore
import Synchronization

/// A first-come, first-served section that async work enters one at a time: recording an event and delivering it
/// locally happen in it, so events reach this node's sockets in the order of their offsets, and a recovering
/// socket's replay and its joining the rooms happen between two events, never across one.
///
/// Uncontended, entering costs one lock and no suspension.
final class SocketIOOrderedSection: Sendable {
    private struct State {
        var held = false
        var waiters = CircularBuffer<CheckedContinuation<Void, Never>>()
    }

    private let state = Mutex(State())

    func run<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        let entered = state.withLock { state -> Bool in
            guard state.held else {
                state.held = true
                return true
            }
            return false
        }
        if entered { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                guard state.held else {
                    state.held = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Hands the section to the next waiter (it stays held) or frees it.
    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let next = state.waiters.popFirst() else {
                state.held = false
                return nil
            }
            return next
        }
        next?.resume()
    }
}

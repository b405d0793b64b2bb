import Foundation
import Synchronization

/// Stores presence changes' `lastSeenAt`, many users in one transaction.
///
/// Each write used to be its own transaction (a commit, and with SQLite `synchronous=FULL` an fsync), so when thousands
/// of sockets connected or left together the commits were a large share of the server's time. Here the first write
/// starts at once; writes that arrive while a batch is being committed wait and go together in the next one. A caller
/// returns once its own time is stored (or the batch that held it failed), as before: nothing is announced before it
/// is stored, and an idle server adds no delay.
final class LastSeenWriter: Sendable {
    private struct State {
        var pending: [Int64: Date] = [:]
        var waiters: [CheckedContinuation<Result<Void, any Error>, Never>] = []
        var writing = false
    }

    private let store: any ChatStore
    private let state = Mutex(State())

    init(store: any ChatStore) {
        self.store = store
    }

    /// Stores `date` as the user's `lastSeenAt` (a later write for the same user in the same batch wins).
    func write(userID: Int64, at date: Date) async throws {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, any Error>, Never>) in
            let start = state.withLock { state -> Bool in
                state.pending[userID] = date
                state.waiters.append(continuation)
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if start {
                Task { await self.drain() }
            }
        }
        try result.get()
    }

    /// Commits batches until none is waiting.
    private func drain() async {
        while true {
            let (batch, waiters) = state.withLock { state in
                guard !state.pending.isEmpty else {
                    state.writing = false
                    return ([Int64: Date](), [CheckedContinuation<Result<Void, any Error>, Never>]())
                }
                defer {
                    state.pending = [:]
                    state.waiters = []
                }
                return (state.pending, state.waiters)
            }
            guard !waiters.isEmpty else { return }
            let result: Result<Void, any Error>
            do {
                try await store.setLastSeen(batch)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            for waiter in waiters { waiter.resume(returning: result) }
        }
    }
}

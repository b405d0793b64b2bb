/// The one path by which messages reach the store. Sends that arrive while a write is in flight are queued and
/// appended together in the next transaction (group commit), so many concurrent senders cost a few
/// transactions rather than one each, while each sender still waits for its own message to be durable.
public actor MessageAppender {
    private struct Pending {
        var draft: MessageDraft
        var continuation: CheckedContinuation<AppendOutcome, any Error>
    }

    /// Called with the messages each committed transaction created, one transaction after another in commit
    /// order and before any of their senders resumes.
    public typealias CommitObserver = @Sendable ([Message]) async -> Void

    private let store: any ChatStore
    private let maxBatch: Int
    private let onCommit: CommitObserver?
    private var queue: [Pending] = []
    private var draining = false

    /// `onCommit` sees every new message in commit order, which within a conversation is `seq` order. Real-time
    /// delivery uses it to learn the order before the senders race each other to deliver.
    public init(store: any ChatStore, maxBatch: Int = 64, onCommit: CommitObserver? = nil) {
        self.store = store
        self.maxBatch = maxBatch
        self.onCommit = onCommit
    }

    /// Appends the draft and returns once it is durably stored.
    public func append(_ draft: MessageDraft) async throws -> AppendOutcome {
        try await withCheckedThrowingContinuation { continuation in
            queue.append(Pending(draft: draft, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            await write(batch)
        }
        draining = false
    }

    private func write(_ batch: [Pending]) async {
        do {
            let outcomes = try await store.appendMessages(batch.map(\.draft))
            if let onCommit {
                let created = outcomes.compactMap { $0.isNew ? $0.message : nil }
                if !created.isEmpty { await onCommit(created) }
            }
            for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(returning: outcome) }
        } catch where batch.count > 1 {
            // One bad draft must not fail its neighbours: retry each on its own so only the culprit sees the error.
            for pending in batch { await write([pending]) }
        } catch {
            batch[0].continuation.resume(throwing: error)
        }
    }
}

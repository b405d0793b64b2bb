import Metrics
import NIOCore
import Synchronization

/// The one path by which messages reach the store and then their audience.
///
/// Sends that arrive while a write is in flight are queued and appended together in the next transaction (group
/// commit), so many concurrent senders cost a few transactions rather than one each, while each sender still
/// waits for its own message to be durable. After each commit the new messages go to ``deliver`` in commit
/// order (which within a conversation is `seq` order) with the audience the store read under the conversation's
/// lock, and only then do their senders resume. Storing and delivering are one pipeline: nothing re-reads
/// membership, nothing re-orders, and no message can be stored without being handed to delivery.
///
/// The pipeline has two stages. The writer (one task at a time) appends batch after batch; each committed batch goes to
/// a delivery stage (one task, first in first out), which encodes its new messages, delivers them and resumes
/// their senders. So the next batch is already being written, and synced, while the previous one is delivered,
/// and commit order is kept because one task takes batches in the order they were committed.
///
/// Changes to stored messages (edits, deletes, reactions) take the same path (``change(_:)``): the writer commits
/// them between batches and hands each to the same delivery stage, so `message:updated`, `message:deleted` and
/// `message:reactions` reach every member in commit order with the conversation's `message:new`s.
public final class MessageAppender: Sendable {
    /// Receives a submitted draft's outcome, from the delivery stage, once the message is durably stored and handed
    /// to delivery (or has failed).
    public typealias Completion = @Sendable (Result<AppendedMessage, any Error>) -> Void

    private struct Pending {
        var draft: MessageDraft
        var completion: Completion
        /// When the send reached the queue: the start of its delivery latency.
        var enqueued: ContinuousClock.Instant
    }

    /// Receives each committed transaction's new messages, in commit order, before any of their senders resumes.
    public typealias Deliver = @Sendable ([AppendedMessage]) async -> Void
    /// The transports' wire form of a message (its JSON), made once per new message.
    public typealias Encode = @Sendable (Message) -> ByteBuffer?
    /// Receives each committed change to a message, in commit order with the batches, before its caller resumes.
    public typealias DeliverChange = @Sendable (MessageChange) async -> Void
    /// Wraps the hand-over of one committed batch or change (its deliveries and its senders' answers): the socket
    /// layer wakes each event loop once per batch there instead of once per connection.
    public typealias DeliveryScope = @Sendable (_ handOver: @Sendable () async -> Void) async -> Void

    /// A message change waiting for the writer: the store call that makes it, and its caller.
    private struct PendingChange {
        var run: @Sendable () async throws -> MessageChange
        var continuation: CheckedContinuation<MessageChange, any Error>
    }

    /// What waits for the writer. Behind a mutex rather than in an actor, so that ``submit(_:completion:)`` queues a
    /// draft synchronously: a caller that submits drafts one after the other gets them stored in that order without
    /// waiting for each.
    private struct Queue {
        var drafts: [Pending] = []
        var changes: [PendingChange] = []
        var draining = false
    }

    private let store: any ChatStore
    private let maxBatch: Int
    private let queue = Mutex(Queue())
    private let committed: AsyncStream<Committed>.Continuation
    private let metrics: ChatMetrics

    /// What the writer hands the delivery stage, in commit order.
    private enum Committed: Sendable {
        case batch(CommittedBatch)
        case change(MessageChange, CheckedContinuation<MessageChange, any Error>)
    }

    /// A committed batch on its way to delivery: each draft's result and the sender waiting for it.
    private struct CommittedBatch: Sendable {
        var results: [Result<AppendedMessage, ChatError>]
        var senders: [Completion]
        var enqueued: [ContinuousClock.Instant]
    }

    public init(
        store: any ChatStore, maxBatch: Int = 256, encode: Encode? = nil, deliver: Deliver? = nil, deliverChange: DeliverChange? = nil,
        scope: DeliveryScope? = nil, metrics: ChatMetrics = .disabled
    ) {
        self.store = store
        self.metrics = metrics
        self.maxBatch = maxBatch
        let (batches, committed) = AsyncStream.makeStream(of: Committed.self)
        self.committed = committed
        // Ends when the appender goes away (its continuation with it), after the batches already handed over.
        let scope = scope ?? { handOver in await handOver() }
        Task {
            for await item in batches {
                await scope {
                    switch item {
                    case .batch(let batch):
                        await Self.deliver(batch, encode: encode, deliver: deliver, metrics: metrics)
                    case .change(let change, let caller):
                        if change.changed, let deliverChange { await deliverChange(change) }
                        caller.resume(returning: change)
                    }
                }
            }
        }
    }

    deinit {
        committed.finish()
    }

    /// Appends the draft and returns once it is durably stored and handed to delivery. A client's mistake (not a
    /// member, no such conversation) throws ``ChatError`` for this draft alone.
    public func append(_ draft: MessageDraft) async throws -> AppendedMessage {
        try await withCheckedThrowingContinuation { continuation in
            submit(draft) { continuation.resume(with: $0) }
        }
    }

    /// Queues the draft now and returns at once; `completion` hears its outcome, as ``append(_:)`` would return it,
    /// from the delivery stage once it is durably stored and handed to delivery. Drafts submitted one after the other
    /// are stored in that order (one connection's sends keep their order without waiting for each other's commit).
    public func submit(_ draft: MessageDraft, completion: @escaping Completion) {
        let pending = Pending(draft: draft, completion: completion, enqueued: .now)
        let start = queue.withLock { queue -> Bool in
            queue.drafts.append(pending)
            return Self.startDraining(&queue)
        }
        if start { Task { await self.drain() } }
    }

    /// Runs a change to a stored message (`run` calls ``ChatStore/changeMessage(conversationID:seq:callerID:at:_:)``)
    /// on the writer, between append batches, and returns once it is committed and, when it changed anything,
    /// handed to delivery.
    public func change(_ run: @escaping @Sendable () async throws -> MessageChange) async throws -> MessageChange {
        try await withCheckedThrowingContinuation { continuation in
            let start = queue.withLock { queue -> Bool in
                queue.changes.append(PendingChange(run: run, continuation: continuation))
                return Self.startDraining(&queue)
            }
            if start { Task { await self.drain() } }
        }
    }

    /// Whether the caller must start the writer (it is not running).
    private static func startDraining(_ queue: inout Queue) -> Bool {
        guard !queue.draining else { return false }
        queue.draining = true
        return true
    }

    /// The writer: one batch of drafts, then one change, until nothing waits. Only one runs at a time.
    private func drain() async {
        while true {
            let (batch, change) = queue.withLock { queue -> ([Pending], PendingChange?) in
                let batch = Array(queue.drafts.prefix(maxBatch))
                queue.drafts.removeFirst(batch.count)
                let change = queue.changes.isEmpty ? nil : queue.changes.removeFirst()
                if batch.isEmpty, change == nil { queue.draining = false }
                return (batch, change)
            }
            if batch.isEmpty, change == nil { return }
            if !batch.isEmpty { await write(batch) }
            if let change {
                do {
                    committed.yield(.change(try await change.run(), change.continuation))
                } catch {
                    change.continuation.resume(throwing: error)
                }
            }
        }
    }

    private func write(_ batch: [Pending]) async {
        let results: [Result<AppendedMessage, ChatError>]
        let start = ContinuousClock.now
        do {
            results = try await store.appendMessages(batch.map(\.draft))
            metrics.appendCommit.record(duration: .now - start)
            metrics.appendBatchSize.record(batch.count)
        } catch {
            // The transaction failed as a whole: nothing of it was stored, and every sender hears so. No retry here:
            // whether to send again is the client's call, and its clientMessageId makes that safe.
            for pending in batch { pending.completion(.failure(error)) }
            return
        }
        committed.yield(.batch(CommittedBatch(results: results, senders: batch.map(\.completion), enqueued: batch.map(\.enqueued))))
    }

    /// The delivery stage for one batch: encode its new messages once, deliver them, then answer the senders.
    private static func deliver(_ batch: CommittedBatch, encode: Encode?, deliver: Deliver?, metrics: ChatMetrics) async {
        var results = batch.results
        if let encode {
            for index in results.indices {
                guard case .success(var appended) = results[index], appended.outcome.isNew else { continue }
                appended.encoded = encode(appended.message)
                results[index] = .success(appended)
            }
        }
        if let deliver {
            let created = results.compactMap { result -> AppendedMessage? in
                guard case .success(let appended) = result, appended.outcome.isNew else { return nil }
                return appended
            }
            if !created.isEmpty { await deliver(created) }
        }
        recordDelivered(batch, results, metrics: metrics)
        for (sender, result) in zip(batch.senders, results) { sender(result.mapError { $0 as any Error }) }
    }

    /// Counts the batch's new messages and how long each took from the queue to its audience's connections.
    private static func recordDelivered(_ batch: CommittedBatch, _ results: [Result<AppendedMessage, ChatError>], metrics: ChatMetrics) {
        let now = ContinuousClock.now
        var stored = 0
        for (result, enqueued) in zip(results, batch.enqueued) {
            guard case .success(let appended) = result, appended.outcome.isNew else { continue }
            stored += 1
            metrics.deliveryLatency.record(duration: now - enqueued)
        }
        if stored > 0 { metrics.messagesStored.increment(by: stored) }
    }
}

import ChatCore
import Foundation
import SQLKit
import Synchronization

extension SQLChatStore {
    /// Appends the batch in one transaction. When the connection is lost during its COMMIT the outcome is read back
    /// rather than guessed (``settleUnknownCommit(_:)``), so a message that did commit is reported as stored (and
    /// delivered once), and one that did not is reported as failed.
    public func appendMessages(_ drafts: [MessageDraft]) async throws -> [Result<AppendedMessage, ChatError>] {
        guard !drafts.isEmpty else { return [] }
        let planned = Mutex<[Result<AppendedMessage, ChatError>]?>(nil)
        do {
            return try await backend.transaction { db in
                let results = try await BatchAppend(drafts: drafts, flavor: backend.flavor).run(on: db)
                planned.withLock { $0 = results }
                return results
            }
        } catch let error as CommitOutcomeUnknown {
            // The body finished, so COMMIT was sent; what it would have stored is `planned`.
            guard let results = planned.withLock({ $0 }) else { throw error.underlying }
            return try await settleUnknownCommit(results, error: error)
        }
    }

    /// Decides from the database what became of a batch whose COMMIT outcome is unknown. The new messages' ids were
    /// made before the insert, so their rows are looked up on another connection: a draft whose row exists is
    /// stored, one whose row is missing failed. The read first locks the batch's conversation rows, which the lost
    /// transaction locked too, so it waits until the server has finished committing or rolling that one back.
    /// Drafts that were retries (an existing message) or refused keep their result. If even the read fails, the
    /// outcome stays unknown and every sender hears an error (a retry with its clientMessageId is then safe).
    private func settleUnknownCommit(_ planned: [Result<AppendedMessage, ChatError>], error: CommitOutcomeUnknown) async throws
        -> [Result<AppendedMessage, ChatError>]
    {
        var created: [Int64] = []
        var conversations: Set<Int64> = []
        for case .success(let appended) in planned where appended.outcome.isNew {
            created.append(appended.message.id)
            conversations.insert(appended.message.conversationID)
        }
        guard !created.isEmpty else { return planned }
        let (ids, locked) = (created, Array(conversations))
        let lock = backend.flavor == .sqlite ? "" : " FOR UPDATE"
        var lastError: any Error = error.underlying
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(200 * attempt)) }
            do {
                let stored = try await backend.transaction { db in
                    _ = try await db.raw("SELECT id FROM conversations WHERE id IN (\(binds: locked))\(unsafeRaw: lock)").all()
                    let rows = try await db.raw("SELECT id FROM messages WHERE id IN (\(binds: ids))").all()
                    return Set(try rows.map { try $0.decode(column: "id", as: Int64.self) })
                }
                return planned.map { result in
                    guard case .success(let appended) = result, appended.outcome.isNew, !stored.contains(appended.message.id) else {
                        return result
                    }
                    return .failure(.internal("the database connection was lost while committing; the message was not stored"))
                }
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    public func messages(conversationID: Int64, range: MessageRange, limit: Int) async throws -> [Message] {
        let base = "SELECT \(Columns.message) FROM messages msg WHERE msg.conversation_id = "
        let query: SQLQueryString
        switch range {
        case .latest:
            query = "\(unsafeRaw: base)\(bind: conversationID) ORDER BY msg.seq DESC LIMIT \(literal: limit)"
        case .before(let seq):
            query = "\(unsafeRaw: base)\(bind: conversationID) AND msg.seq < \(bind: seq) ORDER BY msg.seq DESC LIMIT \(literal: limit)"
        case .after(let seq):
            query = "\(unsafeRaw: base)\(bind: conversationID) AND msg.seq > \(bind: seq) ORDER BY msg.seq ASC LIMIT \(literal: limit)"
        }
        let rows = try await backend.read { db in
            try await Self.withReactions(try await db.raw(query).all().map { try $0.decodeMessage() }, on: db)
        }
        return rows.sorted { $0.seq < $1.seq }
    }

    public func markRead(conversationID: Int64, userID: Int64, seq: Int64) async throws -> Int64 {
        try await backend.transaction { db in
            // Clamped to the newest message: a client cannot have read what does not exist yet.
            try await db.raw(
                """
                UPDATE conversation_members
                SET last_read_seq = (SELECT CASE WHEN c.last_seq < \(bind: seq) THEN c.last_seq ELSE \(bind: seq) END
                                     FROM conversations c WHERE c.id = \(bind: conversationID))
                WHERE conversation_id = \(bind: conversationID) AND user_id = \(bind: userID) AND last_read_seq < \(bind: seq)
                """
            ).run()
            guard let value = try await db.raw(
                "SELECT last_read_seq FROM conversation_members WHERE conversation_id = \(bind: conversationID) AND user_id = \(bind: userID)"
            ).first(decodingColumn: "last_read_seq", as: Int64.self)
            else {
                throw ChatError.notFound("conversation not found")
            }
            return value
        }
    }
}

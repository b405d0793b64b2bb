import ChatCore
import Foundation
import SQLKit

extension SQLChatStore {
    public func appendMessages(_ drafts: [MessageDraft]) async throws -> [Result<AppendedMessage, ChatError>] {
        guard !drafts.isEmpty else { return [] }
        return try await backend.transaction { db in try await BatchAppend(drafts: drafts).run(on: db) }
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
        let rows = try await backend.read { db in try await db.raw(query).all().map { try $0.decodeMessage() } }
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

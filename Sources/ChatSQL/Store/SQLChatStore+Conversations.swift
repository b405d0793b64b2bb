import ChatCore
import Foundation
import SQLKit

extension SQLChatStore {
    public func findOrCreateDirectConversation(_ draft: NewConversation) async throws -> (conversation: Conversation, created: Bool) {
        guard let key = draft.directKey else { throw ChatError.internal("direct conversation without a pair key") }
        let created: Bool
        do {
            created = try await backend.transaction { db -> Bool in
                if try await Self.conversationID(directKey: key, on: db) != nil { return false }
                try await Self.insertConversation(draft, on: db)
                return true
            }
        } catch {
            // Another process may have created the pair between our check and insert; the unique key refused
            // ours, and theirs is the one to return. Anything else is a real failure.
            guard try await backend.read({ db in try await Self.conversationID(directKey: key, on: db) }) != nil else { throw error }
            created = false
        }
        let conversation = try await backend.read { db -> Conversation? in
            guard let id = try await Self.conversationID(directKey: key, on: db) else { return nil }
            return try await Self.loadConversations(ids: [id], on: db).first
        }
        guard let conversation else { throw ChatError.internal("direct conversation vanished after creation") }
        return (conversation, created)
    }

    public func conversation(id: Int64, memberID: Int64) async throws -> Conversation? {
        try await backend.read { db in
            let isMember = try await db.raw(
                "SELECT user_id FROM conversation_members WHERE conversation_id = \(bind: id) AND user_id = \(bind: memberID)"
            ).first()
            guard isMember != nil else { return nil }
            return try await Self.loadConversations(ids: [id], on: db).first
        }
    }

    public func conversations(memberID: Int64, after cursor: ConversationCursor?, limit: Int) async throws -> [Conversation] {
        var query = SQLQueryString(
            """
            SELECT c.id FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.user_id = \(bind: memberID)
            """)
        if let cursor {
            let millis = cursor.updatedAtMillis
            query.appendInterpolation(
                " AND (c.updated_at < \(bind: millis) OR (c.updated_at = \(bind: millis) AND c.id < \(bind: cursor.id)))" as SQLQueryString)
        }
        query.appendInterpolation(" ORDER BY c.updated_at DESC, c.id DESC LIMIT \(literal: limit)" as SQLQueryString)
        let finalQuery = query
        return try await backend.read { db in
            let ids = try await db.raw(finalQuery).all().map { try $0.decode(column: "id", as: Int64.self) }
            return try await Self.loadConversations(ids: ids, on: db)
        }
    }

    public func memberIDs(conversationID: Int64) async throws -> [Int64]? {
        try await backend.read { db in
            guard try await db.raw("SELECT id FROM conversations WHERE id = \(bind: conversationID)").first() != nil else { return nil }
            return try await db.raw("SELECT user_id FROM conversation_members WHERE conversation_id = \(bind: conversationID)")
                .all().map { try $0.decode(column: "user_id", as: Int64.self) }
        }
    }

    static func conversationID(directKey: String, on db: any SQLDatabase) async throws -> Int64? {
        try await db.raw("SELECT id FROM conversations WHERE direct_key = \(bind: directKey)").first(decodingColumn: "id", as: Int64.self)
    }

    static func insertConversation(_ draft: NewConversation, on db: any SQLDatabase) async throws {
        let now = draft.createdAt.millis
        try await db.raw(
            """
            INSERT INTO conversations (id, kind, title, direct_key, last_seq, created_at, updated_at)
            VALUES (\(bind: draft.id), \(bind: draft.kind.rawValue), \(bind: draft.title), \(bind: draft.directKey), 0, \(bind: now), \(bind: now))
            """
        ).run()
        for member in draft.members {
            try await db.raw(
                """
                INSERT INTO conversation_members (conversation_id, user_id, role, last_read_seq, joined_at)
                VALUES (\(bind: draft.id), \(bind: member.userID), \(bind: member.role.rawValue), 0, \(bind: now))
                """
            ).run()
        }
    }

    /// Loads whole conversations in three queries however many there are, keeping the order of `ids`.
    static func loadConversations(ids: [Int64], on db: any SQLDatabase) async throws -> [Conversation] {
        guard !ids.isEmpty else { return [] }
        let rows = try await db.raw(
            "SELECT id, kind, title, last_seq, created_at, updated_at FROM conversations WHERE id IN (\(binds: ids))"
        ).all()
        let memberRows = try await db.raw(
            """
            SELECT m.conversation_id AS member_conversation_id, m.role, m.last_read_seq, \(unsafeRaw: Columns.user)
            FROM conversation_members m JOIN users u ON u.id = m.user_id
            WHERE m.conversation_id IN (\(binds: ids)) ORDER BY m.joined_at, u.id
            """
        ).all()
        let lastRows = try await db.raw(
            """
            SELECT \(unsafeRaw: Columns.message) FROM messages msg
            JOIN conversations c ON c.id = msg.conversation_id AND msg.seq = c.last_seq
            WHERE c.id IN (\(binds: ids))
            """
        ).all().map { try $0.decodeMessage() }
        let lastMessages = try await withReactions(lastRows, on: db)

        var members: [Int64: [ConversationMember]] = [:]
        for row in memberRows {
            let role = MemberRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .member
            let member = ConversationMember(user: try row.decodeUser(), role: role, lastReadSeq: try row.decode(column: "last_read_seq", as: Int64.self))
            members[try row.decode(column: "member_conversation_id", as: Int64.self), default: []].append(member)
        }
        let lastByConversation = Dictionary(uniqueKeysWithValues: lastMessages.map { ($0.conversationID, $0) })
        var byID: [Int64: Conversation] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: Int64.self)
            byID[id] = Conversation(
                id: id,
                kind: ConversationKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .direct,
                title: try row.decode(column: "title", as: String?.self),
                members: members[id] ?? [],
                lastMessage: lastByConversation[id],
                lastSeq: try row.decode(column: "last_seq", as: Int64.self),
                createdAt: Date(millis: try row.decode(column: "created_at", as: Int64.self)),
                updatedAt: Date(millis: try row.decode(column: "updated_at", as: Int64.self)))
        }
        return ids.compactMap { byID[$0] }
    }
}

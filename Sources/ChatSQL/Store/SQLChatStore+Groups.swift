import ChatCore
import Foundation
import SQLKit

/// Group conversations. Every membership change starts by writing the conversation's row, the same lock the
/// message append path takes first, so on every engine membership changes and appends to one conversation
/// run one after another: the snapshot a plan is decided on cannot change before the plan is applied.
extension SQLChatStore {
    /// Rows per multi-row INSERT: well under every engine's bound-parameter limit (5 binds a row).
    static let memberInsertChunk = 100

    public func createGroupConversation(_ draft: NewConversation) async throws -> Conversation {
        let conversation = try await backend.transaction { db -> Conversation? in
            let now = draft.createdAt.millis
            try await db.raw(
                """
                INSERT INTO conversations (id, kind, title, direct_key, last_seq, created_at, updated_at)
                VALUES (\(bind: draft.id), \(bind: draft.kind.rawValue), \(bind: draft.title), \(bind: draft.directKey), 0,
                        \(bind: now), \(bind: now))
                """
            ).run()
            try await Self.insertMembers(
                draft.members.map { ($0.userID, $0.role) }, conversationID: draft.id, lastReadSeq: 0, joinedAt: now, on: db)
            return try await Self.loadConversations(ids: [draft.id], on: db).first
        }
        guard let conversation else { throw ChatError.internal("group conversation vanished after creation") }
        return conversation
    }

    public func changeGroup(
        conversationID: Int64, at date: Date, _ decide: @escaping @Sendable (GroupSnapshot) throws -> GroupPlan
    ) async throws -> AppliedGroupPlan {
        try await backend.transaction { db in
            // A no-op write that takes the row lock (InnoDB locks matched rows even when nothing changes;
            // SQLite's BEGIN IMMEDIATE already serialises writers). Reads below then see every change committed
            // before us and none that could commit before we do.
            try await db.raw("UPDATE conversations SET last_seq = last_seq WHERE id = \(bind: conversationID)").run()
            guard let snapshot = try await Self.snapshot(conversationID: conversationID, on: db) else {
                throw ChatError.notFound("conversation not found")
            }
            let plan = try decide(snapshot)
            try await Self.apply(plan, to: snapshot, at: date.millis, on: db)
            let conversation = plan.deletesConversation ? nil : try await Self.loadConversations(ids: [conversationID], on: db).first
            return AppliedGroupPlan(before: snapshot, plan: plan, conversation: conversation)
        }
    }

    static func snapshot(conversationID: Int64, on db: any SQLDatabase) async throws -> GroupSnapshot? {
        guard let row = try await db.raw("SELECT kind, title, last_seq FROM conversations WHERE id = \(bind: conversationID)").first() else {
            return nil
        }
        let members = try await db.raw(
            "SELECT user_id, role, joined_at FROM conversation_members WHERE conversation_id = \(bind: conversationID) ORDER BY joined_at, user_id"
        ).all().map { row in
            GroupMemberRecord(
                userID: try row.decode(column: "user_id", as: Int64.self),
                role: MemberRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .member,
                joinedAt: Date(millis: try row.decode(column: "joined_at", as: Int64.self)))
        }
        return GroupSnapshot(
            conversationID: conversationID,
            kind: ConversationKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .direct,
            title: try row.decode(column: "title", as: String?.self),
            lastSeq: try row.decode(column: "last_seq", as: Int64.self),
            members: members)
    }

    static func apply(_ plan: GroupPlan, to snapshot: GroupSnapshot, at now: Int64, on db: any SQLDatabase) async throws {
        let id = snapshot.conversationID
        if plan.deletesConversation {
            // Explicit rather than left to ON DELETE CASCADE, so the outcome does not depend on engine settings.
            try await db.raw(
                "DELETE FROM message_reactions WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = \(bind: id))"
            ).run()
            try await db.raw("DELETE FROM messages WHERE conversation_id = \(bind: id)").run()
            try await db.raw("DELETE FROM conversation_members WHERE conversation_id = \(bind: id)").run()
            try await db.raw("DELETE FROM conversations WHERE id = \(bind: id)").run()
            return
        }
        guard !plan.isEmpty else { return }
        if let title = plan.newTitle {
            try await db.raw("UPDATE conversations SET title = \(bind: title) WHERE id = \(bind: id)").run()
        }
        if !plan.removedMemberIDs.isEmpty {
            try await db.raw(
                "DELETE FROM conversation_members WHERE conversation_id = \(bind: id) AND user_id IN (\(binds: plan.removedMemberIDs))"
            ).run()
        }
        // Newcomers start with nothing unread; the history before they joined stays readable to them.
        try await insertMembers(plan.addedMemberIDs.map { ($0, .member) }, conversationID: id, lastReadSeq: snapshot.lastSeq, joinedAt: now, on: db)
        if !plan.promotedMemberIDs.isEmpty {
            try await db.raw(
                """
                UPDATE conversation_members SET role = \(bind: MemberRole.admin.rawValue)
                WHERE conversation_id = \(bind: id) AND user_id IN (\(binds: plan.promotedMemberIDs))
                """
            ).run()
        }
        try await db.raw("UPDATE conversations SET updated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    /// Inserts membership rows a hundred at a time: a 500-member group costs five statements, not 500.
    static func insertMembers(
        _ members: [(userID: Int64, role: MemberRole)], conversationID: Int64, lastReadSeq: Int64, joinedAt: Int64, on db: any SQLDatabase
    ) async throws {
        var start = 0
        while start < members.count {
            let chunk = members[start..<min(start + memberInsertChunk, members.count)]
            var query = SQLQueryString("INSERT INTO conversation_members (conversation_id, user_id, role, last_read_seq, joined_at) VALUES ")
            for (offset, member) in chunk.enumerated() {
                if offset > 0 { query.appendInterpolation(", " as SQLQueryString) }
                query.appendInterpolation(
                    "(\(bind: conversationID), \(bind: member.userID), \(bind: member.role.rawValue), \(bind: lastReadSeq), \(bind: joinedAt))"
                        as SQLQueryString)
            }
            try await db.raw(query).run()
            start += memberInsertChunk
        }
    }
}

import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import Testing

/// Edits, deletes, replies, reactions, blocks and search, through the ChatCore services over a real store on every
/// backend: the rules run in the services, the races are settled by the store's locks.
@Suite("ChatSQL: edits, deletes, replies, reactions, blocks, search")
struct MessageFeatureStoreTests {
    /// The services a test needs, over one store.
    struct Services {
        let store: SQLChatStore
        let messages: MessageService
        let groups: GroupService
        let conversations: ConversationService
        let blocks: BlockService

        init(_ store: SQLChatStore) {
            self.store = store
            let conversations = ConversationService(store: store, ids: Fixtures.ids)
            self.conversations = conversations
            messages = MessageService(store: store, conversations: conversations, appender: MessageAppender(store: store), ids: Fixtures.ids)
            groups = GroupService(store: store, ids: Fixtures.ids)
            blocks = BlockService(store: store)
        }

        func users(_ names: String...) async throws -> [Int64] {
            var ids: [Int64] = []
            for name in names { ids.append(try await store.insertUser(Fixtures.user(name)).id) }
            return ids
        }

        func send(_ sender: Int64, _ conversation: Int64, _ text: String, replyTo: Int64? = nil) async throws -> Message {
            try await messages.send(callerID: sender, conversationID: conversation, content: text, clientMessageID: nil, replyToSeq: replyTo).message
        }

        func search(_ caller: Int64, _ q: String, in conversation: Int64? = nil) async throws -> [String] {
            try await messages.search(callerID: caller, query: q, conversationID: conversation, cursor: nil, limit: 100).items.compactMap(\.content)
        }
    }

    @Test("edit: sender only, editedAt set, same content changes nothing, a tombstone is a conflict", arguments: TestBackend.all)
    func edit(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben")
            let id = try await store.findOrCreateDirectConversation(Fixtures.direct(u[0], u[1])).conversation.id
            let first = try await s.send(u[0], id, "helo")
            await #expect(throws: ChatError.forbidden("only the sender can edit a message")) {
                _ = try await s.messages.edit(callerID: u[1], conversationID: id, seq: first.seq, content: "x")
            }
            let edited = try await s.messages.edit(callerID: u[0], conversationID: id, seq: first.seq, content: "hello")
            #expect(edited.changed && edited.kind == .updated)
            #expect(edited.message.content == "hello" && edited.message.editedAt != nil && edited.message.seq == 1)
            let same = try await s.messages.edit(callerID: u[0], conversationID: id, seq: first.seq, content: "hello")
            #expect(!same.changed && same.message == edited.message)
            let history = try await store.messages(conversationID: id, range: .latest, limit: 10)
            #expect(history == [edited.message])
            await #expect(throws: ChatError.notFound("message not found")) {
                _ = try await s.messages.edit(callerID: u[0], conversationID: id, seq: 2, content: "x")
            }
            let stranger = try await s.users("cat")[0]
            await #expect(throws: ChatError.notFound("conversation not found")) {
                _ = try await s.messages.edit(callerID: stranger, conversationID: id, seq: 1, content: "x")
            }
            _ = try await s.messages.delete(callerID: u[0], conversationID: id, seq: 1)
            await #expect(throws: ChatError.conflict("the message was deleted")) {
                _ = try await s.messages.edit(callerID: u[0], conversationID: id, seq: 1, content: "again")
            }
        }
    }

    @Test("delete: tombstone keeps seq, drops text and reactions; again answers it; group admins may, others not", arguments: TestBackend.all)
    func delete(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben", "cat")
            let group = try await s.groups.createGroup(callerID: u[0], title: "g", memberIDs: [u[1], u[2]]).conversationID
            let m1 = try await s.send(u[1], group, "one")
            _ = try await s.send(u[2], group, "two")
            _ = try await s.messages.react(callerID: u[2], conversationID: group, seq: m1.seq, emoji: "👍", add: true)
            await #expect(throws: ChatError.forbidden("only the sender or a group admin can delete a message")) {
                _ = try await s.messages.delete(callerID: u[2], conversationID: group, seq: m1.seq)
            }
            let tombstone = try await s.messages.delete(callerID: u[0], conversationID: group, seq: m1.seq)
            #expect(tombstone.kind == .deleted && tombstone.changed)
            #expect(tombstone.message.content == nil && tombstone.message.deletedAt != nil && tombstone.message.reactions.isEmpty)
            let again = try await s.messages.delete(callerID: u[1], conversationID: group, seq: m1.seq)
            #expect(!again.changed && again.message == tombstone.message)
            let history = try await store.messages(conversationID: group, range: .latest, limit: 10)
            #expect(history.map(\.seq) == [1, 2])
            #expect(history[0] == tombstone.message)
            // lastSeq and the read marker are untouched; the last message shown is the newest, deleted or not.
            let deletedLast = try await s.messages.delete(callerID: u[2], conversationID: group, seq: 2)
            let conversation = try #require(try await store.conversation(id: group, memberID: u[0]))
            #expect(conversation.lastSeq == 2)
            #expect(conversation.lastMessage == deletedLast.message)
            await #expect(throws: ChatError.conflict("the message was deleted")) {
                _ = try await s.messages.react(callerID: u[0], conversationID: group, seq: 1, emoji: "👍", add: true)
            }
        }
    }

    @Test("replies: replyToSeq must be a seq of the conversation; a tombstone can be replied to", arguments: TestBackend.all)
    func replies(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben")
            let id = try await store.findOrCreateDirectConversation(Fixtures.direct(u[0], u[1])).conversation.id
            let first = try await s.send(u[0], id, "question")
            let reply = try await s.send(u[1], id, "answer", replyTo: first.seq)
            #expect(reply.replyToSeq == 1)
            for bad: Int64 in [3, 99] {
                await #expect(throws: ChatError.validation("replyToSeq must be the seq of a message in this conversation", field: "replyToSeq")) {
                    _ = try await s.send(u[1], id, "x", replyTo: bad)
                }
            }
            await #expect(throws: ChatError.self) { _ = try await s.send(u[1], id, "x", replyTo: 0) }
            _ = try await s.messages.delete(callerID: u[0], conversationID: id, seq: 1)
            #expect(try await s.send(u[1], id, "still", replyTo: 1).replyToSeq == 1)
            #expect(try await store.messages(conversationID: id, range: .after(1), limit: 1)[0].replyToSeq == 1)
        }
    }

    @Test("reactions: per user and emoji, idempotent, ordered by first use, at most 20 distinct", arguments: TestBackend.all)
    func reactions(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben")
            let id = try await store.findOrCreateDirectConversation(Fixtures.direct(u[0], u[1])).conversation.id
            let m = try await s.send(u[0], id, "react to me")
            _ = try await s.messages.react(callerID: u[1], conversationID: id, seq: m.seq, emoji: "🎉", add: true)
            _ = try await s.messages.react(callerID: u[0], conversationID: id, seq: m.seq, emoji: "👍🏽", add: true)
            let third = try await s.messages.react(callerID: u[0], conversationID: id, seq: m.seq, emoji: "🎉", add: true)
            #expect(third.message.reactions == [Reaction(emoji: "🎉", userIDs: [u[1], u[0]]), Reaction(emoji: "👍🏽", userIDs: [u[0]])])
            let repeatAdd = try await s.messages.react(callerID: u[0], conversationID: id, seq: m.seq, emoji: "🎉", add: true)
            #expect(!repeatAdd.changed && repeatAdd.message.reactions == third.message.reactions)
            let removed = try await s.messages.react(callerID: u[1], conversationID: id, seq: m.seq, emoji: "🎉", add: false)
            #expect(removed.changed && removed.message.reactions.first == Reaction(emoji: "🎉", userIDs: [u[0]]))
            let repeatRemove = try await s.messages.react(callerID: u[1], conversationID: id, seq: m.seq, emoji: "🎉", add: false)
            #expect(!repeatRemove.changed)
            for i in 0..<18 { _ = try await s.messages.react(callerID: u[1], conversationID: id, seq: m.seq, emoji: "e\(i)", add: true) }
            await #expect(throws: ChatError.validation("a message has at most 20 different emoji", field: "emoji")) {
                _ = try await s.messages.react(callerID: u[1], conversationID: id, seq: m.seq, emoji: "x20", add: true)
            }
            // An emoji already there may still gain users.
            #expect(try await s.messages.react(callerID: u[1], conversationID: id, seq: m.seq, emoji: "👍🏽", add: true).changed)
            for bad in ["", " ", "a b", "\u{7}", "123456789"] {
                await #expect(throws: ChatError.self) { _ = try await s.messages.react(callerID: u[1], conversationID: id, seq: m.seq, emoji: bad, add: true) }
            }
            let stored = try await store.messages(conversationID: id, range: .latest, limit: 1)[0]
            #expect(stored.reactions.count == 20 && stored.reactions[0].emoji == "🎉")
        }
    }

    @Test("an edit and a delete at once, and reactions racing a delete, leave a tombstone without reactions", arguments: TestBackend.all)
    func races(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben")
            let id = try await store.findOrCreateDirectConversation(Fixtures.direct(u[0], u[1])).conversation.id
            for round in 0..<10 {
                let m = try await s.send(u[0], id, "round \(round)")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try? await s.messages.edit(callerID: u[0], conversationID: id, seq: m.seq, content: "edited \(round)") }
                    group.addTask { _ = try await s.messages.delete(callerID: u[0], conversationID: id, seq: m.seq) }
                    for emoji in ["👍", "❤️", "😂"] {
                        group.addTask { _ = try? await s.messages.react(callerID: u[1], conversationID: id, seq: m.seq, emoji: emoji, add: true) }
                    }
                    try await group.waitForAll()
                }
                let stored = try await store.messages(conversationID: id, range: .after(m.seq - 1), limit: 1)[0]
                #expect(stored.isDeleted && stored.content == nil && stored.reactions.isEmpty, "round \(round): \(stored)")
                #expect(try await s.search(u[0], "edited").isEmpty)
                #expect(try await s.search(u[0], "round").isEmpty)
            }
        }
    }

    @Test("search: whole words, prefix on the last, any script, edits re-index, deletes and foreign conversations never show", arguments: TestBackend.all)
    func search(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben", "cat")
            let direct = try await store.findOrCreateDirectConversation(Fixtures.direct(u[0], u[1])).conversation.id
            let foreign = try await store.findOrCreateDirectConversation(Fixtures.direct(u[1], u[2])).conversation.id
            _ = try await s.send(u[0], direct, "Lunch at the harbour tomorrow?")
            let typo = try await s.send(u[1], direct, "Sure, the harbor café")
            _ = try await s.send(u[1], direct, "Привет мир, увидимся завтра")
            _ = try await s.send(u[0], direct, "東京タワー 楽しみ")
            let secret = try await s.send(u[1], foreign, "harbour secret plans")
            #expect(try await s.search(u[0], "harbour") == ["Lunch at the harbour tomorrow?"])
            #expect(try await s.search(u[0], "HARB") == ["Sure, the harbor café", "Lunch at the harbour tomorrow?"], "newest first, prefix")
            #expect(try await s.search(u[0], "lunch harb") == ["Lunch at the harbour tomorrow?"])
            #expect(try await s.search(u[0], "harb lunch").isEmpty, "only the last word is a prefix")
            #expect(try await s.search(u[0], "мир") == ["Привет мир, увидимся завтра"])
            #expect(try await s.search(u[0], "увид") == ["Привет мир, увидимся завтра"])
            #expect(try await s.search(u[0], "東京タワー") == ["東京タワー 楽しみ"])
            #expect(try await s.search(u[0], "cafe") == ["Sure, the harbor café"], "diacritics fold")
            #expect(try await s.search(u[0], "!!!").isEmpty)
            #expect(try await s.search(u[0], "dʼ ½ lunchʼ").isEmpty, "letters that fold to quotes or slashes stay words, never query syntax")
            #expect(try await s.search(u[0], "h").count == 2, "a one-letter last word is a prefix too")
            #expect(try await s.search(u[0], "ha").count == 2, "two letters are a prefix")
            #expect(try await s.search(u[1], "secret") == ["harbour secret plans"])
            #expect(try await s.search(u[0], "secret").isEmpty, "another pair's conversation")
            await #expect(throws: ChatError.notFound("conversation not found")) { _ = try await s.search(u[0], "secret", in: foreign) }
            #expect(try await s.search(u[1], "harbour", in: foreign) == ["harbour secret plans"])

            _ = try await s.messages.edit(callerID: u[1], conversationID: direct, seq: typo.seq, content: "Sure, the lighthouse café")
            #expect(try await s.search(u[0], "harbor").isEmpty)
            #expect(try await s.search(u[0], "lighthouse") == ["Sure, the lighthouse café"])
            _ = try await s.messages.delete(callerID: u[1], conversationID: foreign, seq: secret.seq)
            #expect(try await s.search(u[1], "secret").isEmpty)

            for bad in [nil, "", String(repeating: "a", count: 201)] {
                await #expect(throws: ChatError.self) { _ = try await s.messages.search(callerID: u[0], query: bad, conversationID: nil, cursor: nil, limit: nil) }
            }
        }
    }

    @Test("search pages newest first with a cursor; a member removed from a group stops finding its messages", arguments: TestBackend.all)
    func searchPagesAndRemoval(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben", "cat")
            let group = try await s.groups.createGroup(callerID: u[0], title: "g", memberIDs: [u[1], u[2]]).conversationID
            for i in 1...7 { _ = try await s.send(u[i % 3], group, "status report \(i)") }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await s.messages.search(callerID: u[2], query: "report", conversationID: nil, cursor: cursor, limit: 3)
                seen += page.items.compactMap(\.content)
                cursor = page.nextCursor
                #expect(page.hasMore == (cursor != nil))
            } while cursor != nil
            #expect(seen == (1...7).reversed().map { "status report \($0)" })
            await #expect(throws: ChatError.validation("invalid cursor", field: "cursor")) {
                _ = try await s.messages.search(callerID: u[2], query: "report", conversationID: nil, cursor: "x1", limit: 3)
            }
            _ = try await s.groups.removeMember(callerID: u[0], conversationID: group, userID: u[2])
            #expect(try await s.search(u[2], "report").isEmpty)
            #expect(try await s.search(u[0], "report").count == 7)
        }
    }

    @Test("blocks: idempotent, listed newest first for the blocker only; refuse direct opens, sends and group adds; hide presence", arguments: TestBackend.all)
    func blocks(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben", "cat", "dan")
            let (ann, ben, cat, dan) = (u[0], u[1], u[2], u[3])
            let direct = try await store.findOrCreateDirectConversation(Fixtures.direct(ann, ben)).conversation.id
            let group = try await s.groups.createGroup(callerID: ben, title: "g", memberIDs: [cat, ann]).conversationID
            try await s.blocks.block(callerID: ann, userID: ben)
            try await s.blocks.block(callerID: ann, userID: ben)
            try await s.blocks.block(callerID: ann, userID: dan)
            await #expect(throws: ChatError.validation("cannot block yourself", field: "userId")) { try await s.blocks.block(callerID: ann, userID: ann) }
            await #expect(throws: ChatError.notFound("user not found")) { try await s.blocks.block(callerID: ann, userID: 42) }
            let first = try await s.blocks.list(callerID: ann, cursor: nil, limit: 1)
            #expect(first.items.map(\.user.id) == [dan] && first.hasMore)
            let second = try await s.blocks.list(callerID: ann, cursor: first.nextCursor, limit: 1)
            #expect(second.items.map(\.user.id) == [ben] && !second.hasMore)
            #expect(try await s.blocks.list(callerID: ben, cursor: nil, limit: 10).items.isEmpty)

            await #expect(throws: ChatError.blocked) { _ = try await s.conversations.openDirect(callerID: ben, otherUserID: ann) }
            await #expect(throws: ChatError.blocked) { _ = try await s.send(ben, direct, "let me in") }
            // The blocker is not refused, and the group they share is unchanged.
            #expect(try await s.send(ann, direct, "bye").seq == 1)
            #expect(try await s.send(ben, group, "hi all").seq == 1)
            let other = try await s.groups.createGroup(callerID: ben, title: "h", memberIDs: [cat, dan]).conversationID
            await #expect(throws: ChatError.blocked) { _ = try await s.groups.addMembers(callerID: ben, conversationID: other, userIDs: [ann]) }
            await #expect(throws: ChatError.blocked) { _ = try await s.groups.createGroup(callerID: ben, title: "x", memberIDs: [ann, cat]) }

            #expect(try await store.contactIDs(userID: ann).sorted() == [cat])
            #expect(try await store.contactIDs(userID: ben).sorted() == [cat, dan])
            #expect(try await s.blocks.hiddenPresence(viewerID: ben, among: [ann, cat]) == [ann])
            #expect(try await s.blocks.hiddenPresence(viewerID: ann, among: [ben, cat, dan]) == [ben, dan])

            try await s.blocks.unblock(callerID: ann, userID: ben)
            try await s.blocks.unblock(callerID: ann, userID: ben)
            #expect(try await s.send(ben, direct, "thanks").seq == 2)
            #expect(try await store.contactIDs(userID: ann).sorted() == [ben, cat])
        }
    }

    @Test("an idempotent resend returns the message as it is now: edited, reacted to, or deleted", arguments: TestBackend.all)
    func retryReturnsCurrentMessage(database: TestBackend) async throws {
        try await database.withStore { store, _ in
            let s = Services(store)
            let u = try await s.users("ann", "ben")
            let id = try await store.findOrCreateDirectConversation(Fixtures.direct(u[0], u[1])).conversation.id
            let sent = try await s.messages.send(callerID: u[0], conversationID: id, content: "draft", clientMessageID: "c1")
            _ = try await s.messages.edit(callerID: u[0], conversationID: id, seq: sent.message.seq, content: "final")
            _ = try await s.messages.react(callerID: u[1], conversationID: id, seq: sent.message.seq, emoji: "👍", add: true)
            let retry = try await s.messages.send(callerID: u[0], conversationID: id, content: "draft", clientMessageID: "c1")
            #expect(!retry.outcome.isNew)
            #expect(retry.message.content == "final" && retry.message.editedAt != nil && retry.message.reactions.map(\.emoji) == ["👍"])
            _ = try await s.messages.delete(callerID: u[0], conversationID: id, seq: sent.message.seq)
            let afterDelete = try await s.messages.send(callerID: u[0], conversationID: id, content: "draft", clientMessageID: "c1")
            #expect(afterDelete.message.isDeleted && afterDelete.message.seq == 1)
        }
    }
}

import NIOCore
import SocketIO
import ChatCore
import Foundation

/// The wire shapes of API.md. Ids go out as strings: clients must treat them as opaque.
struct APIUser: Encodable, Sendable {
    var id: String
    var username: String
    var displayName: String
    var online: Bool
    var lastSeenAt: Date?
    var createdAt: Date

    /// - Parameter hidden: a block stands between the viewer and this user: presence shows as offline, never seen.
    init(_ user: User, online: Bool, hidden: Bool = false) {
        id = String(user.id)
        username = user.username
        displayName = user.displayName
        self.online = online && !hidden
        lastSeenAt = hidden ? nil : user.lastSeenAt
        createdAt = user.createdAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(username, forKey: .username)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(online, forKey: .online)
        // Always present, null when unknown, as API.md writes `lastSeenAt|null`.
        try c.encode(lastSeenAt, forKey: .lastSeenAt)
        try c.encode(createdAt, forKey: .createdAt)
    }

    enum CodingKeys: String, CodingKey { case id, username, displayName, online, lastSeenAt, createdAt }
}

struct APIMessage: Encodable, Sendable {
    var id: String
    var conversationId: String
    var seq: Int64
    var senderId: String
    var content: String?
    var clientMessageId: String?
    var replyToSeq: Int64?
    var reactions: [APIReaction]
    var createdAt: Date
    var editedAt: Date?
    var deletedAt: Date?

    init(_ message: Message) {
        id = String(message.id)
        conversationId = String(message.conversationID)
        seq = message.seq
        senderId = String(message.senderID)
        content = message.content
        clientMessageId = message.clientMessageID
        replyToSeq = message.replyToSeq
        reactions = message.reactions.map(APIReaction.init)
        createdAt = message.createdAt
        editedAt = message.editedAt
        deletedAt = message.deletedAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(conversationId, forKey: .conversationId)
        try c.encode(seq, forKey: .seq)
        try c.encode(senderId, forKey: .senderId)
        try c.encode(content, forKey: .content)
        try c.encode(clientMessageId, forKey: .clientMessageId)
        // Optional fields are always present, null when empty, as API.md writes them (`replyToSeq|null`).
        try c.encode(replyToSeq, forKey: .replyToSeq)
        try c.encode(reactions, forKey: .reactions)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(editedAt, forKey: .editedAt)
        try c.encode(deletedAt, forKey: .deletedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, conversationId, seq, senderId, content, clientMessageId, replyToSeq, reactions, createdAt, editedAt, deletedAt
    }
}

/// `{emoji, userIds}`.
struct APIReaction: Encodable, Sendable {
    var emoji: String
    var userIds: [String]

    init(_ reaction: Reaction) {
        emoji = reaction.emoji
        userIds = reaction.userIDs.map(String.init)
    }
}

/// `message:reactions`: a message's whole reaction list after a change.
struct APIMessageReactions: Encodable, Sendable {
    var conversationId: String
    var seq: Int64
    var reactions: [APIReaction]

    init(_ message: Message) {
        conversationId = String(message.conversationID)
        seq = message.seq
        reactions = message.reactions.map(APIReaction.init)
    }
}

struct APIMember: Encodable, Sendable {
    var user: APIUser
    var role: MemberRole
    var lastReadSeq: Int64

    /// A member is a user object with two more fields, flattened.
    func encode(to encoder: any Encoder) throws {
        try user.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(role, forKey: .role)
        try c.encode(lastReadSeq, forKey: .lastReadSeq)
    }

    enum CodingKeys: String, CodingKey { case role, lastReadSeq }
}

struct APIConversation: Encodable, Sendable {
    var id: String
    var type: ConversationKind
    var title: String?
    var members: [APIMember]
    var lastMessage: APIMessage?
    var lastSeq: Int64
    var unreadCount: Int64
    var createdAt: Date
    var updatedAt: Date

    /// - Parameter hidden: members whose presence the viewer must not see (a block between them).
    init(_ view: ConversationView, isOnline: (Int64) -> Bool, hidden: Set<Int64> = []) {
        let conversation = view.conversation
        id = String(conversation.id)
        type = conversation.kind
        title = conversation.title
        members = conversation.members.map {
            APIMember(
                user: APIUser($0.user, online: isOnline($0.user.id), hidden: hidden.contains($0.user.id)), role: $0.role,
                lastReadSeq: $0.lastReadSeq)
        }
        lastMessage = conversation.lastMessage.map(APIMessage.init)
        lastSeq = conversation.lastSeq
        unreadCount = view.unreadCount
        createdAt = conversation.createdAt
        updatedAt = conversation.updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(type, forKey: .type)
        try c.encode(title, forKey: .title)
        try c.encode(members, forKey: .members)
        try c.encode(lastMessage, forKey: .lastMessage)
        try c.encode(lastSeq, forKey: .lastSeq)
        try c.encode(unreadCount, forKey: .unreadCount)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }

    enum CodingKeys: String, CodingKey { case id, type, title, members, lastMessage, lastSeq, unreadCount, createdAt, updatedAt }
}

struct APIAuthResult: Encodable, Sendable {
    var user: APIUser
    var accessToken: String
    var refreshToken: String
    var expiresIn: Int
}

struct APIReadState: Encodable, Sendable {
    var conversationId: String
    var lastReadSeq: Int64
}

struct APIEmpty: Encodable, Sendable {}

extension APIMessage {
    /// A message's JSON bytes, made once per new message by the appender (see ``MessageAppender/Encode``).
    @Sendable static func encode(_ message: Message) -> ByteBuffer? {
        json(message)
    }

    /// The bytes `APICoding.encoder()` makes of `APIMessage(message)`, written directly: keys sorted, optional
    /// fields `null`. A `JSONEncoder` per message (its containers, key sorting and the time format) was 10% of the
    /// server's CPU at 12,000 msg/s (docs/performance.md, "P1: CPU per message"). The tests hold the two equal.
    static func json(_ message: Message) -> ByteBuffer {
        var object = JSONObjectWriter(capacity: 256 + (message.content?.utf8.count ?? 0))
        object.field("clientMessageId", string: message.clientMessageID)
        object.field("content", string: message.content)
        object.field("conversationId", string: String(message.conversationID))
        object.field("createdAt") { APITimestamp.writeQuoted(message.createdAt, into: &$0) }
        object.field("deletedAt") { APITimestamp.writeQuoted(message.deletedAt, into: &$0) }
        object.field("editedAt") { APITimestamp.writeQuoted(message.editedAt, into: &$0) }
        object.field("id", string: String(message.id))
        object.field("reactions", objects: message.reactions) { reaction, object in
            object.field("emoji", string: reaction.emoji)
            object.field("userIds", strings: reaction.userIDs.map(String.init))
        }
        object.field("replyToSeq", integer: message.replyToSeq)
        object.field("senderId", string: String(message.senderID))
        object.field("seq", integer: message.seq)
        return object.finish()
    }

    /// The message's bytes: those made at commit, or made now (an idempotent retry's existing message).
    static func encoded(_ appended: AppendedMessage) -> EncodedJSON {
        if let bytes = appended.encoded { return EncodedJSON(trusting: bytes) }
        return EncodedJSON(trusting: encode(appended.message) ?? ByteBuffer(string: "null"))
    }
}

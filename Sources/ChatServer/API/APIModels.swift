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

    init(_ user: User, online: Bool) {
        id = String(user.id)
        username = user.username
        displayName = user.displayName
        self.online = online
        lastSeenAt = user.lastSeenAt
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
    var content: String
    var clientMessageId: String?
    var createdAt: Date

    init(_ message: Message) {
        id = String(message.id)
        conversationId = String(message.conversationID)
        seq = message.seq
        senderId = String(message.senderID)
        content = message.content
        clientMessageId = message.clientMessageID
        createdAt = message.createdAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(conversationId, forKey: .conversationId)
        try c.encode(seq, forKey: .seq)
        try c.encode(senderId, forKey: .senderId)
        try c.encode(content, forKey: .content)
        try c.encode(clientMessageId, forKey: .clientMessageId)
        // Replies, reactions, edits and deletes are not built yet; the fields are there with their empty values
        // so that clients written against API.md's Message object find every field.
        try c.encodeNil(forKey: .replyToSeq)
        try c.encode([String](), forKey: .reactions)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeNil(forKey: .editedAt)
        try c.encodeNil(forKey: .deletedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, conversationId, seq, senderId, content, clientMessageId, replyToSeq, reactions, createdAt, editedAt, deletedAt
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

    init(_ view: ConversationView, isOnline: (Int64) -> Bool) {
        let conversation = view.conversation
        id = String(conversation.id)
        type = conversation.kind
        title = conversation.title
        members = conversation.members.map {
            APIMember(user: APIUser($0.user, online: isOnline($0.user.id)), role: $0.role, lastReadSeq: $0.lastReadSeq)
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
        try? EncodedJSON(encoding: APIMessage(message), encoder: APICoding.encoder()).bytes
    }

    /// The message's bytes: those made at commit, or made now (an idempotent retry's existing message).
    static func encoded(_ appended: AppendedMessage) -> EncodedJSON {
        if let bytes = appended.encoded { return EncodedJSON(trusting: bytes) }
        return EncodedJSON(trusting: encode(appended.message) ?? ByteBuffer(string: "null"))
    }
}

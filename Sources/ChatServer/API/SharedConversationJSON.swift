import ChatCore
import Foundation
import NIOCore
import SocketIO

/// A conversation's JSON for many viewers, encoded once.
///
/// Only `unreadCount` differs between members, and with sorted keys it is the second-to-last key: so the members
/// list and everything else are encoded once per change, and each viewer's object is that head, their count and
/// the `updatedAt` tail. A change to a 500-member group used to encode 500 members once per member.
struct SharedConversationJSON: Sendable {
    /// `{"createdAt":…,"type":…` without the closing brace: every key that sorts before `unreadCount`. Every
    /// viewer's value holds this buffer itself (a reference), not a copy: 500 viewers of a 500-member group share
    /// one 100 KB head instead of holding 50 MB.
    private let head: ByteBuffer
    /// `"updatedAt":"…"}`.
    private let tail: String
    private let lastSeq: Int64
    /// Each member's read marker, for their unread count without a walk through the members per viewer.
    private let lastRead: [Int64: Int64]

    init(_ conversation: Conversation, isOnline: (Int64) -> Bool) throws {
        var head = ByteBuffer(bytes: try APICoding.encoder().encode(Head(APIConversation(ConversationView(conversation: conversation, viewerID: 0), isOnline: isOnline))))
        head.moveWriterIndex(to: head.writerIndex - 1)  // the closing brace
        self.head = head
        self.tail = #""updatedAt":"\#(APICoding.timestamp(conversation.updatedAt))"}"#
        self.lastSeq = conversation.lastSeq
        self.lastRead = Dictionary(conversation.members.map { ($0.user.id, $0.lastReadSeq) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether `userID` is a member of the conversation.
    func isMember(_ userID: Int64) -> Bool { lastRead[userID] != nil }

    /// The conversation as `viewerID` sees it: the shared head and a few bytes of their own.
    func json(for viewerID: Int64) -> EncodedJSON {
        // As ``ConversationView``: a non-member has nothing unread.
        let unread = max(0, lastSeq - (lastRead[viewerID] ?? lastSeq))
        let own = ByteBuffer(string: #","unreadCount":\#(unread),"# + tail)
        return EncodedJSON(trustingPieces: [head, own])
    }

    /// The keys of ``APIConversation`` that sort before `unreadCount`, encoded as it encodes them.
    private struct Head: Encodable {
        let conversation: APIConversation

        init(_ conversation: APIConversation) { self.conversation = conversation }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: APIConversation.CodingKeys.self)
            try c.encode(conversation.id, forKey: .id)
            try c.encode(conversation.type, forKey: .type)
            try c.encode(conversation.title, forKey: .title)
            try c.encode(conversation.members, forKey: .members)
            try c.encode(conversation.lastMessage, forKey: .lastMessage)
            try c.encode(conversation.lastSeq, forKey: .lastSeq)
            try c.encode(conversation.createdAt, forKey: .createdAt)
        }
    }
}

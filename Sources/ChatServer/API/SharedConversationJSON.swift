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
    /// `{"createdAt":…,"type":…` without the closing brace: every key that sorts before `unreadCount`.
    private let head: ByteBuffer
    /// `,"updatedAt":"…"}`.
    private let tail: ByteBuffer
    private let conversation: Conversation

    init(_ conversation: Conversation, isOnline: (Int64) -> Bool) throws {
        self.conversation = conversation
        var head = ByteBuffer(bytes: try APICoding.encoder().encode(Head(APIConversation(ConversationView(conversation: conversation, viewerID: 0), isOnline: isOnline))))
        head.moveWriterIndex(to: head.writerIndex - 1)  // the closing brace
        self.head = head
        self.tail = ByteBuffer(string: #","updatedAt":"\#(APICoding.timestamp(conversation.updatedAt))"}"#)
    }

    /// The conversation as `viewerID` sees it.
    func json(for viewerID: Int64) -> EncodedJSON {
        let unread = ConversationView(conversation: conversation, viewerID: viewerID).unreadCount
        var bytes = ByteBuffer()
        bytes.reserveCapacity(head.readableBytes + tail.readableBytes + 24)
        bytes.writeImmutableBuffer(head)
        bytes.writeString(#","unreadCount":\#(unread)"#)
        bytes.writeImmutableBuffer(tail)
        return EncodedJSON(trusting: bytes)
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

import ChatCore
import Foundation
import NIOCore

/// A committed message as it rides in a bus notification, so other nodes deliver it without reading it back from
/// the database: the message, its audience as read under the conversation's lock when it was stored (what local
/// delivery uses too), and its JSON as the transports send it (encoded once, on the node that stored it).
///
/// Only new messages travel this way, and only while the notification stays under NOTIFY's limit; anything else is
/// announced as a range and read from the database (``MessageSequencer``).
struct RelayedMessage: Codable, Sendable, Equatable {
    var id: Int64
    var conversationID: Int64
    var seq: Int64
    var senderID: Int64
    var content: String?
    var clientMessageID: String?
    var replyToSeq: Int64?
    /// Milliseconds since 1970.
    var createdAt: Int64
    var memberIDs: [Int64]
    /// The message's JSON.
    var json: String

    enum CodingKeys: String, CodingKey {
        case id = "i", conversationID = "c", seq = "q", senderID = "s", content = "t", clientMessageID = "cm", replyToSeq = "r"
        case createdAt = "at", memberIDs = "m", json = "j"
    }

    /// Nil for what cannot travel inline: a retry's existing message, or one without its encoded form.
    init?(_ appended: AppendedMessage) {
        guard appended.outcome.isNew, let encoded = appended.encoded else { return nil }
        let message = appended.message
        id = message.id
        conversationID = message.conversationID
        seq = message.seq
        senderID = message.senderID
        content = message.content
        clientMessageID = message.clientMessageID
        replyToSeq = message.replyToSeq
        createdAt = Int64((message.createdAt.timeIntervalSince1970 * 1000).rounded())
        memberIDs = appended.memberIDs
        json = String(buffer: encoded)
    }

    /// The message as this node's delivery takes it (no origin: the sender's socket is on another node).
    var appended: AppendedMessage {
        let message = Message(
            id: id, conversationID: conversationID, seq: seq, senderID: senderID, content: content, clientMessageID: clientMessageID,
            replyToSeq: replyToSeq, createdAt: Date(timeIntervalSince1970: Double(createdAt) / 1000))
        var appended = AppendedMessage(outcome: .created(message), memberIDs: memberIDs, origin: nil)
        appended.encoded = ByteBuffer(string: json)
        return appended
    }
}

import ChatCore
import ChatTestSupport
import Foundation
import SocketIO
import Testing

@testable import ChatServer

/// A conversation encoded once for many viewers is, for each of them, exactly what encoding their own view gives.
@Suite struct SharedConversationJSONTests {
    @Test(arguments: [nil, "Weekend \"hike\" \\ \u{1F3D4} unreadCount\":1,"])
    func eachViewerGetsTheirOwnViewByteForByte(title: String?) throws {
        let now = Date(timeIntervalSince1970: 1_764_000_000.123)
        var members: [ConversationMember] = []
        for n: Int64 in 1...5 {
            let user = User(id: n, username: "user\(n)", displayName: "User \(n)", lastSeenAt: n == 2 ? now : nil, createdAt: now)
            members.append(ConversationMember(user: user, role: n == 1 ? .admin : .member, lastReadSeq: n * 3))
        }
        let last = Message(id: 99, conversationID: 7, seq: 20, senderID: 1, content: "hi", clientMessageID: "c", createdAt: now)
        let conversation = Conversation(
            id: 7, kind: .group, title: title, members: members, lastMessage: last, lastSeq: 20, createdAt: now, updatedAt: now.addingTimeInterval(5))
        let online: (Int64) -> Bool = { $0.isMultiple(of: 2) }
        let shared = try SharedConversationJSON(conversation, isOnline: online)
        for viewer in [1, 2, 3, 4, 5, 42] as [Int64] {
            let own = try APICoding.encoder().encode(APIConversation(ConversationView(conversation: conversation, viewerID: viewer), isOnline: online))
            #expect(String(buffer: shared.json(for: viewer).bytes) == String(decoding: own, as: UTF8.self), "viewer \(viewer)")
        }
    }
}

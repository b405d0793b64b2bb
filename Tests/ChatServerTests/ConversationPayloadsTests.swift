import ChatCore
import Foundation
import NIOCore
import SocketIO
import Testing

@testable import ChatServer

/// A group encoded once per change gives each member, and the REST answer, exactly the bytes encoding their own view
/// gives: blocks included (each side of a block sees the other offline).
@Suite struct ConversationPayloadsTests {
    @Test func eachMemberAndTheAnswerAreWhatTheirOwnEncodingGives() throws {
        let now = Date(timeIntervalSince1970: 1_764_000_000.456)
        let members = (1...6).map { n -> ConversationMember in
            let user = User(id: Int64(n), username: "user\(n)", displayName: "User \(n)", lastSeenAt: now, createdAt: now)
            return ConversationMember(user: user, role: n == 1 ? .admin : .member, lastReadSeq: Int64(n))
        }
        let conversation = Conversation(
            id: 9, kind: .group, title: "Team", members: members, lastMessage: nil, lastSeq: 6, createdAt: now, updatedAt: now)
        let online: (Int64) -> Bool = { _ in true }
        // 2 blocked 3; 4 blocked 2.
        let payloads = try ConversationPayloads(
            conversation, blockPairs: [BlockPair(blockerID: 2, blockedID: 3), BlockPair(blockerID: 4, blockedID: 2)], isOnline: online)
        let expectedHidden: [Int64: Set<Int64>] = [2: [3, 4], 3: [2], 4: [2]]
        for viewer in 1...6 as ClosedRange<Int64> {
            let api = APIConversation(ConversationView(conversation: conversation, viewerID: viewer), isOnline: online, hidden: expectedHidden[viewer] ?? [])
            let own = try APICoding.encoder().encode(api)
            let json = try payloads.json(for: viewer, isOnline: online)
            #expect(String(buffer: json.bytes) == String(decoding: own, as: UTF8.self), "viewer \(viewer)")
            let envelope = try APICoding.encoder().encode(SuccessEnvelope(api))
            #expect(String(buffer: EncodedSuccessEnvelope(data: json).bytes) == String(decoding: envelope, as: UTF8.self), "viewer \(viewer)")
        }
        #expect(payloads.isMember(6) && !payloads.isMember(7))
    }
}

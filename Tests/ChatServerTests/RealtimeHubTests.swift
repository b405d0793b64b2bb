import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import Logging
import SocketIO
import Synchronization
import Testing

@testable import ChatServer

/// The shared send/read/typing path over a real store on every backend, with the appender's commit-ordered delivery
/// wired exactly as `ChatServices.start` wires it. What leaves the hub is recorded at the broadcaster seam, where the
/// Socket.IO server would take over (``ChatSocketGatewayTests`` and the end-to-end tests cover that part with real
/// clients).
@Suite struct RealtimeHubTests {
    struct Emission: Sendable {
        var event: String
        var payload: JSONValue
        var users: [Int64]
        var exceptSocket: String?
    }

    final class Recorder: RealtimeBroadcaster {
        private let items = Mutex<[Emission]>([])
        func emit(_ event: String, _ payload: JSONValue, toUsers userIDs: [Int64], exceptSocket: String?) async {
            // Payloads leave the emitter as JSON bytes; the tests read them as a tree.
            var tree = payload
            if case .encoded(let json) = payload { tree = json.value ?? .null }
            items.withLock { $0.append(Emission(event: event, payload: tree, users: userIDs, exceptSocket: exceptSocket)) }
        }
        var all: [Emission] { items.withLock { $0 } }
        func events(_ name: String) -> [Emission] { all.filter { $0.event == name } }
    }

    struct Fixture {
        var hub: RealtimeHub
        var recorder: Recorder
        var store: SQLChatStore
        var ids: IDGenerator
        var conversations: ConversationService

        func user(_ name: String) async throws -> Int64 {
            try await store.insertUser(Fixtures.user(name)).id
        }
    }

    static func withHub(on backend: TestBackend, _ body: (Fixture) async throws -> Void) async throws {
        try await backend.withStore { store, _ in
            let ids = Fixtures.ids
            let logger = TestBackend.logger
            let emitter = RealtimeEmitter(logger: logger)
            let recorder = Recorder()
            emitter.attach(recorder)
            let deliveries = ConversationDelivery { message, members, except in
                await emitter.emit(RealtimeEvent.messageNew, APIMessage(message.message), toUsers: members, exceptSocket: except)
            }
            let conversations = ConversationService(store: store, ids: ids)
            let appender = MessageAppender(store: store, deliver: { await deliveries.deliver($0) })
            let messages = MessageService(store: store, conversations: conversations, appender: appender, ids: ids)
            let presence = PresenceService(store: store, logger: logger)
            let hub = RealtimeHub(
                conversations: conversations, messages: messages, presence: presence, deliveries: deliveries, emitter: emitter)
            try await body(Fixture(hub: hub, recorder: recorder, store: store, ids: ids, conversations: conversations))
        }
    }

    @Test(arguments: TestBackend.all)
    func concurrentSendsAreDeliveredInSeqOrderToEveryMemberButTheSendingSocket(_ backend: TestBackend) async throws {
        try await Self.withHub(on: backend) { f in
            let alice = try await f.user("alice")
            let bob = try await f.user("bob")
            let conversation = try await f.conversations.openDirect(callerID: alice, otherUserID: bob).view.conversation.id
            let outcomes = try await withThrowingTaskGroup(of: AppendedMessage.self) { group in
                for n in 0..<120 {
                    let sender = n.isMultiple(of: 2) ? alice : bob
                    group.addTask {
                        try await f.hub.send(
                            callerID: sender, to: .conversation(conversation), content: "m\(n)", clientMessageID: nil, fromSocket: "socket-\(n)")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.map(\.message.seq).sorted() == Array(1...120))
            let delivered = f.recorder.events(RealtimeEvent.messageNew)
            #expect(delivered.compactMap { $0.payload["seq"]?.intValue } == Array(1...120))
            #expect(delivered.allSatisfy { Set($0.users) == [alice, bob] })
            // Each delivery skips exactly the socket its message came from.
            for emission in delivered {
                let content = try #require(emission.payload["content"]?.stringValue)
                #expect(emission.exceptSocket == "socket-\(content.dropFirst())")
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func aRetryReturnsTheStoredMessageAndDeliversNothing(_ backend: TestBackend) async throws {
        try await Self.withHub(on: backend) { f in
            let alice = try await f.user("alice")
            let bob = try await f.user("bob")
            let conversation = try await f.conversations.openDirect(callerID: alice, otherUserID: bob).view.conversation.id
            let first = try await f.hub.send(callerID: alice, to: .conversation(conversation), content: "once", clientMessageID: "c1", fromSocket: "s1")
            let retry = try await f.hub.send(callerID: alice, to: .conversation(conversation), content: "once", clientMessageID: "c1", fromSocket: "s2")
            #expect(first.outcome.isNew)
            #expect(!retry.outcome.isNew)
            #expect(retry.message == first.message)
            #expect(f.recorder.events(RealtimeEvent.messageNew).count == 1)
        }
    }

    @Test(arguments: TestBackend.all)
    func theFirstMessageToAUserOpensTheConversationAndAnnouncesItToThemFirst(_ backend: TestBackend) async throws {
        try await Self.withHub(on: backend) { f in
            let alice = try await f.user("alice")
            let carol = try await f.user("carol")
            let first = try await f.hub.send(callerID: alice, to: .user(carol), content: "hi", clientMessageID: nil, fromSocket: "a1")
            let second = try await f.hub.send(callerID: alice, to: .user(carol), content: "again", clientMessageID: nil, fromSocket: "a1")
            #expect(second.message.conversationID == first.message.conversationID)
            #expect([first.message.seq, second.message.seq] == [1, 2])

            let all = f.recorder.all
            #expect(all.map(\.event) == [RealtimeEvent.conversationNew, RealtimeEvent.messageNew, RealtimeEvent.messageNew])
            let announcement = try #require(all.first)
            #expect(announcement.users == [carol])
            #expect(announcement.payload["id"]?.stringValue == String(first.message.conversationID))
            #expect(announcement.payload["type"]?.stringValue == "direct")

            // A bad message by user id is refused before any conversation is opened.
            let dave = try await f.user("dave")
            await #expect(throws: ChatError.validation("content must be 1-4000 characters", field: "content")) {
                _ = try await f.hub.send(callerID: alice, to: .user(dave), content: "", clientMessageID: nil, fromSocket: nil)
            }
            #expect(try await f.store.contactIDs(userID: dave) == [])
            await #expect(throws: ChatError.notFound("user not found")) {
                _ = try await f.hub.send(callerID: alice, to: .user(987_654_321), content: "hi", clientMessageID: nil, fromSocket: nil)
            }
        }
    }

    @Test(arguments: TestBackend.all)
    func receiptsAndTypingGoToTheOtherMembersAndStrangersGetNotFound(_ backend: TestBackend) async throws {
        try await Self.withHub(on: backend) { f in
            let alice = try await f.user("alice")
            let bob = try await f.user("bob")
            let mallory = try await f.user("mallory")
            let conversation = try await f.conversations.openDirect(callerID: alice, otherUserID: bob).view.conversation.id
            for n in 1...3 {
                _ = try await f.hub.send(callerID: alice, to: .conversation(conversation), content: "m\(n)", clientMessageID: nil, fromSocket: nil)
            }
            #expect(try await f.hub.markRead(callerID: bob, conversationID: conversation, seq: 2) == 2)
            #expect(try await f.hub.markRead(callerID: bob, conversationID: conversation, seq: 1) == 2, "never backwards")
            try await f.hub.typing(callerID: bob, conversationID: conversation, isTyping: true)

            let receipts = f.recorder.events(RealtimeEvent.messageRead)
            #expect(receipts.allSatisfy { $0.users == [alice] })
            #expect(receipts.first?.payload == ["conversationId": .string(String(conversation)), "userId": .string(String(bob)), "lastReadSeq": 2])
            let typing = f.recorder.events(RealtimeEvent.typing)
            #expect(typing.count == 1)
            #expect(typing.first?.users == [alice])
            #expect(typing.first?.payload["isTyping"] == .bool(true))

            let before = f.recorder.all.count
            await #expect(throws: ChatError.notFound("conversation not found")) {
                _ = try await f.hub.send(callerID: mallory, to: .conversation(conversation), content: "x", clientMessageID: nil, fromSocket: "m1")
            }
            await #expect(throws: ChatError.notFound("conversation not found")) {
                try await f.hub.typing(callerID: mallory, conversationID: conversation, isTyping: true)
            }
            await #expect(throws: ChatError.notFound("conversation not found")) {
                _ = try await f.hub.markRead(callerID: mallory, conversationID: conversation, seq: 1)
            }
            #expect(f.recorder.all.count == before)
        }
    }
}

import ChatCore
import Foundation
import Synchronization
import Testing

@testable import ChatServer

/// Delivery in the order given, and removal final for delivery.
@Suite struct ConversationDeliveryTests {
    final class Emitted: Sendable {
        private let items = Mutex<[(message: Message, members: [Int64], except: String?)]>([])
        func append(_ message: Message, _ members: [Int64], _ except: String?) { items.withLock { $0.append((message, members, except)) } }
        var all: [(message: Message, members: [Int64], except: String?)] { items.withLock { $0 } }
    }

    static func appended(_ conversation: Int64, _ seq: Int64, to members: [Int64], except origin: String? = nil) -> AppendedMessage {
        let message = Message(
            id: conversation * 1_000_000 + seq, conversationID: conversation, seq: seq, senderID: 1, content: "m\(seq)", clientMessageID: nil,
            createdAt: Date())
        return AppendedMessage(outcome: .created(message), memberIDs: members, origin: origin)
    }

    @Test func messagesAreEmittedInTheOrderGivenWithTheirAudienceAndOrigin() async {
        let emitted = Emitted()
        let delivery = ConversationDelivery { message, members, except in
            await Task.yield()
            emitted.append(message.message, members, except)
        }
        await delivery.deliver([Self.appended(1, 1, to: [1, 2], except: "s1"), Self.appended(2, 1, to: [3]), Self.appended(1, 2, to: [1, 2])])
        #expect(emitted.all.map { "\($0.message.conversationID):\($0.message.seq)" } == ["1:1", "2:1", "1:2"])
        #expect(emitted.all.map(\.except) == ["s1", nil, nil])
        #expect(emitted.all[1].members == [3])
    }

    @Test func aRevokedMemberHearsNothingMoreEvenFromMessagesStoredBeforeTheRemoval() async {
        let emitted = Emitted()
        let delivery = ConversationDelivery { message, members, except in emitted.append(message.message, members, except) }
        await delivery.deliver([Self.appended(1, 1, to: [1, 2])])
        await delivery.revoke([2], from: 1)
        // Seq 2 was stored before the removal, with member 2 in its audience; delivered after it, it skips them.
        await delivery.deliver([Self.appended(1, 2, to: [1, 2])])
        #expect(emitted.all.map(\.members) == [[1, 2], [1]])
        // Nobody left to tell: nothing is emitted.
        await delivery.deliver([Self.appended(1, 3, to: [2])])
        #expect(emitted.all.count == 2)
        let heard = Mutex<[[Int64]]>([])
        await delivery.emitEvent(in: 1, to: [1, 2]) { audience in heard.withLock { $0.append(audience) } }
        await delivery.emitEvent(in: 1, to: [2]) { audience in heard.withLock { $0.append(audience) } }
        #expect(heard.withLock { $0 } == [[1]])
        await delivery.restore([2], to: 1)
        await delivery.deliver([Self.appended(1, 4, to: [1, 2])])
        #expect(emitted.all.last?.members == [1, 2])
    }

    @Test func revokeReturnsOnlyAfterTheEmitUnderWayHasFinished() async throws {
        let emitted = Emitted()
        let gate = AsyncStream<Void>.makeStream()
        let delivery = ConversationDelivery { message, members, except in
            for await _ in gate.stream { break }
            emitted.append(message.message, members, except)
        }
        let running = Task { await delivery.deliver([Self.appended(1, 1, to: [1, 2])]) }
        while await !delivery.isEmitting(1) { await Task.yield() }
        let revoked = Task {
            await delivery.revoke([2], from: 1)
            return emitted.all.count
        }
        try await Task.sleep(for: .milliseconds(50))
        gate.continuation.yield()
        #expect(await revoked.value == 1)
        await running.value
    }
}

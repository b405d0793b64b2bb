import ChatCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import ChatServer

/// The per-conversation ordering of real-time delivery, driven the way the server drives it.
@Suite struct MessageDeliveryQueueTests {
    final class Emitted: Sendable {
        private let items = Mutex<[(message: Message, members: [Int64], except: String?)]>([])
        func append(_ message: Message, _ members: [Int64], _ except: String?) { items.withLock { $0.append((message, members, except)) } }
        var all: [(message: Message, members: [Int64], except: String?)] { items.withLock { $0 } }
        func seqs(_ conversation: Int64) -> [Int64] { all.filter { $0.message.conversationID == conversation }.map(\.message.seq) }
    }

    static let logger: Logger = {
        var logger = Logger(label: "delivery-test")
        logger.logLevel = .critical
        return logger
    }()

    static func message(_ conversation: Int64, _ seq: Int64) -> Message {
        Message(id: conversation * 1_000_000 + seq, conversationID: conversation, seq: seq, senderID: 1, content: "m\(seq)", clientMessageID: nil, createdAt: Date())
    }

    static func queue(_ emitted: Emitted, stallTimeout: Duration = .seconds(30), members: [Int64] = [1, 2]) -> MessageDeliveryQueue {
        MessageDeliveryQueue(stallTimeout: stallTimeout, logger: logger, members: { _ in members }) { message, memberIDs, except in
            // A slow, yielding emit gives every later delivery the chance to overtake, if ordering allowed it.
            await Task.yield()
            emitted.append(message, memberIDs, except)
        }
    }

    @Test func racingDeliveriesAreEmittedInSeqOrderPerConversation() async throws {
        let emitted = Emitted()
        let queue = Self.queue(emitted)
        let conversations: [Int64] = [7, 8, 9]
        for conversation in conversations {
            await queue.committed((1...150).map { Self.message(conversation, $0) })
        }
        await withTaskGroup(of: Void.self) { group in
            for conversation in conversations {
                for seq in (1...150).shuffled() {
                    group.addTask { await queue.deliver(Self.message(conversation, Int64(seq)), to: [1, 2], except: "socket-\(seq)") }
                }
            }
        }
        for conversation in conversations {
            #expect(emitted.seqs(conversation) == Array(1...150))
        }
        #expect(emitted.all.allSatisfy { $0.except == "socket-\($0.message.seq)" && $0.members == [1, 2] })
        #expect(await queue.pendingCount == 0)
    }

    @Test func aMessageWaitsForItsPredecessorAndIsNeverEmittedTwice() async throws {
        let emitted = Emitted()
        let queue = Self.queue(emitted)
        await queue.committed([Self.message(1, 1), Self.message(1, 2)])
        await queue.deliver(Self.message(1, 2), to: [1], except: nil)
        #expect(emitted.all.isEmpty, "seq 2 must wait for seq 1")
        await queue.deliver(Self.message(1, 1), to: [1], except: nil)
        #expect(emitted.seqs(1) == [1, 2])
        // A retry's delivery (never committed again) and a second hand-over are both ignored.
        await queue.deliver(Self.message(1, 2), to: [1], except: nil)
        await queue.deliver(Self.message(1, 1), to: [1], except: nil)
        await queue.deliver(Self.message(5, 1), to: [1], except: nil)
        #expect(emitted.seqs(1) == [1, 2])
        #expect(emitted.seqs(5) == [])
    }

    @Test func aMessageThatIsNeverHandedOverIsDeliveredToEveryMemberAfterTheStallTimeout() async throws {
        let emitted = Emitted()
        let queue = Self.queue(emitted, stallTimeout: .milliseconds(200), members: [4, 5, 6])
        await queue.committed([Self.message(3, 1), Self.message(3, 2)])
        await queue.deliver(Self.message(3, 2), to: [4, 5], except: "s2")
        #expect(emitted.all.isEmpty)
        let deadline = ContinuousClock.now + .seconds(10)
        while emitted.all.count < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let all = emitted.all
        #expect(all.map(\.message.seq) == [1, 2])
        #expect(all.first?.members == [4, 5, 6])
        #expect(all.first?.except == nil)
        #expect(all.last?.except == "s2")
        #expect(await queue.pendingCount == 0)
    }

    @Test func aRevokedMemberHearsNothingMoreEvenFromMessagesStoredBeforeTheRemoval() async throws {
        let emitted = Emitted()
        let queue = Self.queue(emitted)
        // Seq 1 is stored and waiting on nothing; 2 and 3 were stored before the removal with member 2 in their audience.
        await queue.committed([Self.message(1, 1), Self.message(1, 2), Self.message(1, 3)])
        await queue.deliver(Self.message(1, 1), to: [1, 2], except: nil)
        await queue.deliver(Self.message(1, 3), to: [1, 2], except: nil)
        await queue.revoke([2], from: 1)
        await queue.deliver(Self.message(1, 2), to: [1, 2], except: nil)
        #expect(emitted.seqs(1) == [1, 2, 3])
        #expect(emitted.all.map(\.members) == [[1, 2], [1], [1]])
        // Events that are not messages (receipts, typing) skip them too, and reach nobody when nobody is left.
        let heard = Mutex<[[Int64]]>([])
        await queue.emitEvent(in: 1, to: [1, 2]) { audience in heard.withLock { $0.append(audience) } }
        await queue.emitEvent(in: 1, to: [2]) { audience in heard.withLock { $0.append(audience) } }
        #expect(heard.withLock { $0 } == [[1]])
        // Added back: they hear the conversation again.
        await queue.restore([2], to: 1)
        await queue.committed([Self.message(1, 4)])
        await queue.deliver(Self.message(1, 4), to: [1, 2], except: nil)
        #expect(emitted.all.last?.members == [1, 2])
    }

    @Test func revokeReturnsOnlyAfterTheEmitUnderWayHasFinished() async throws {
        let emitted = Emitted()
        let gate = AsyncStream<Void>.makeStream()
        let queue = MessageDeliveryQueue(stallTimeout: .seconds(30), logger: Self.logger, members: { _ in [1, 2] }) { message, members, except in
            if message.seq == 1 { for await _ in gate.stream { break } }
            emitted.append(message, members, except)
        }
        await queue.committed([Self.message(1, 1)])
        let delivery = Task { await queue.deliver(Self.message(1, 1), to: [1, 2], except: nil) }
        while await !queue.isEmitting(1) { await Task.yield() }
        let revoked = Task {
            await queue.revoke([2], from: 1)
            return emitted.all.count
        }
        try await Task.sleep(for: .milliseconds(50))
        gate.continuation.yield()
        // The in-flight emit (to the old audience) completes before revoke returns.
        #expect(await revoked.value == 1)
        await delivery.value
    }
}

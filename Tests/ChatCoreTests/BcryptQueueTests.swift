import Foundation
import ChatCore
import NIOPosix
import Testing

@Suite("ChatCore: bcrypt's bounded queue")
struct BcryptQueueTests {
    @Test("beyond maxQueued hashes in flight, the next is refused at once with RATE_LIMITED")
    func boundedQueue() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        // Cost 10 takes tens of milliseconds, so 20 concurrent hashes on one thread overlap for sure.
        let hasher = PasswordHasher(cost: 10, threadPool: pool, maxQueued: 3)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        _ = try await hasher.hash("correct horse")
                        return "ok"
                    } catch let error as ChatError {
                        return error.code
                    } catch {
                        return "other"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == "ok" }.count >= 3)
        #expect(outcomes.filter { $0 == "RATE_LIMITED" }.count >= 1)
        #expect(!outcomes.contains("other"))
        #expect(hasher.queued == 0)
        // Once the storm is over, hashing works again.
        _ = try await hasher.hash("correct horse")
        try await pool.shutdownGracefully()
    }
}

@Suite("ChatCore: bcrypt runs below request handling")
struct BcryptPriorityTests {
    /// The `nice` of the calling thread, from /proc/thread-self/stat (field 19).
    static func ownNice() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ", options: .backwards)
        else { return nil }
        // Fields after the command name start at field 3; nice is field 19.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        return fields.count > 16 ? Int(fields[16]) : nil
    }

    @Test("the thread that ran a bcrypt hash runs at nice 10; a pool thread that did not stays at 0")
    func niceThreads() async throws {
        #if os(Linux)
        let bcryptPool = NIOThreadPool(numberOfThreads: 1)
        bcryptPool.start()
        let hasher = PasswordHasher(cost: 4, threadPool: bcryptPool)
        _ = try await hasher.hash("correct horse")
        // One thread in the pool: this job runs where the hash ran.
        #expect(try await bcryptPool.runIfActive { Self.ownNice() } == 10)
        try await bcryptPool.shutdownGracefully()

        let otherPool = NIOThreadPool(numberOfThreads: 1)
        otherPool.start()
        #expect(try await otherPool.runIfActive { Self.ownNice() } == 0)
        try await otherPool.shutdownGracefully()
        #endif
    }
}

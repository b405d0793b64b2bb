import Foundation
import ChatCore
import Testing

@Suite("ChatCore: bcrypt's bounded queue")
struct BcryptQueueTests {
    @Test("beyond maxQueued hashes in flight, the next is refused at once with RATE_LIMITED")
    func boundedQueue() async throws {
        let pool = SpareTimePool(.init(threads: 1))
        pool.start()
        // Cost 10 takes tens of milliseconds, so 20 concurrent hashes on one thread overlap for sure.
        let hasher = PasswordHasher(cost: 10, pool: pool, maxQueued: 3)
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

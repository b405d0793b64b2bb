import ChatTestSupport
import Foundation
import Testing

@Suite("REST: concurrency")
struct ConcurrencyAPITests {
    @Test("20 parallel get-or-create calls by both users yield one conversation, created exactly once", arguments: TestBackend.servers)
    func parallelGetOrCreate(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let results = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let r = i.isMultiple(of: 2) ? try await api.openDirect(ann, with: ben) : try await api.openDirect(ben, with: ann)
                        return (r.status, r.data?["id"]?.string)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.compactMap(\.1)).count == 1)
            #expect(results.filter { $0.0 == 201 }.count == 1)
            #expect(results.filter { $0.0 == 200 }.count == 19)
            let list = try await api.request(.get, "/api/v1/conversations", token: ann.accessToken)
            #expect(list.data?.array?.count == 1)
        }
    }

    @Test("50 parallel sends get seqs 1...50 with no gap and no duplicate", arguments: TestBackend.servers)
    func parallelSends(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            let seqs = try await withThrowingTaskGroup(of: Int?.self) { group in
                for i in 0..<50 {
                    group.addTask { try await api.send(i.isMultiple(of: 2) ? ann : ben, id, "message \(i)").data?["seq"]?.int }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(seqs.compactMap { $0 }.sorted() == Array(1...50))
            let history = try await api.request(.get, "/api/v1/conversations/\(id)/messages?limit=100", token: ann.accessToken)
            #expect(history.data?.array?.compactMap { $0["seq"]?.int } == Array(1...50))
        }
    }

    @Test("parallel retries of one clientMessageId store one message", arguments: TestBackend.servers)
    func parallelIdempotentRetries(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let id = try await api.conversationID(ann, with: ben)
            let responses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let r = try await api.send(ann, id, "once", clientMessageID: "retry-me")
                        return (r.status, r.data?["id"]?.string)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.filter { $0.0 == 201 }.count == 1)
            #expect(responses.filter { $0.0 == 200 }.count == 9)
            #expect(Set(responses.compactMap(\.1)).count == 1)
            let next = try await api.send(ann, id, "after")
            #expect(next.data?["seq"]?.int == 2)
        }
    }
}

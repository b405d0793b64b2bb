import ChatTestSupport
import Foundation
import Testing

@Suite("REST: users")
struct UserAPITests {
    @Test("list is ordered by username, pages with a cursor, and q matches username or display-name prefix", arguments: TestBackend.servers)
    func listAndSearch(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let me = try await api.register("zed")
            for name in ["bob", "alice", "carl", "Bea", "dora"] { _ = try await api.register(name) }
            _ = try await api.register("xavier", displayName: "Bertrand Russell")

            let all = try await api.request(.get, "/api/v1/users?limit=100", token: me.accessToken)
            #expect(all.data?.array?.compactMap { $0["username"]?.string } == ["alice", "Bea", "bob", "carl", "dora", "xavier", "zed"])
            #expect(all.json["page"]?["hasMore"]?.bool == false)
            #expect(all.json["page"]?["nextCursor"]?.isNull == true)

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let path = "/api/v1/users?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await api.request(.get, path, token: me.accessToken)
                #expect(page.status == 200)
                seen += page.data?.array?.compactMap { $0["username"]?.string } ?? []
                cursor = page.json["page"]?["nextCursor"]?.string
                #expect((cursor != nil) == (page.json["page"]?["hasMore"]?.bool == true))
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == ["alice", "Bea", "bob", "carl", "dora", "xavier", "zed"])
            #expect(pages == 3)

            let b = try await api.request(.get, "/api/v1/users?q=B", token: me.accessToken)
            #expect(b.data?.array?.compactMap { $0["username"]?.string } == ["Bea", "bob", "xavier"])
            let none = try await api.request(.get, "/api/v1/users?q=%25", token: me.accessToken)
            #expect(none.data?.array?.isEmpty == true)
        }
    }

    @Test("get by id; unknown or malformed ids are 404; bad limits and cursors are 400", arguments: TestBackend.servers)
    func getAndErrors(_ backend: TestBackend) async throws {
        try await TestApp.run(on: backend) { api in
            let ann = try await api.register("ann")
            let got = try await api.request(.get, "/api/v1/users/\(ann.id)", token: ann.accessToken)
            #expect(got.status == 200)
            #expect(got.data?["username"]?.string == "ann")
            #expect(got.data?["online"]?.bool == false)
            for id in ["12345", "abc", "-1", "99999999999999999999999"] {
                let response = try await api.request(.get, "/api/v1/users/\(id)", token: ann.accessToken)
                #expect(response.status == 404, "id \(id)")
                #expect(response.errorCode == "NOT_FOUND")
            }
            for query in ["limit=0", "limit=101", "limit=x", "cursor=%%%", "cursor=!!"] {
                let response = try await api.request(.get, "/api/v1/users?\(query)", token: ann.accessToken)
                #expect(response.status == 400, "query \(query): \(response.raw)")
                #expect(response.errorCode == "VALIDATION_ERROR")
            }
            #expect(try await api.request(.get, "/api/v1/users").status == 401)
        }
    }
}

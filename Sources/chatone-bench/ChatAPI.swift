import NIOCore
import NIOHTTP1

/// The few REST calls of API.md the workloads make, over one `HTTPConnection`.
struct ChatAPI: Sendable {
    static let password = "bench-password-1"
    let http: HTTPConnection

    /// Registers a user; a 429 (a per-address limit) is waited out as its `Retry-After` asks, a few times.
    func register(_ username: String) async throws -> BenchUser {
        let body = #"{"username":"\#(username)","password":"\#(Self.password)"}"#
        var response = try await http.request(.POST, "/api/v1/auth/register", json: body)
        for _ in 0..<30 where response.status == 429 {
            try await Task.sleep(for: .seconds(response.retryAfter ?? 1))
            response = try await http.request(.POST, "/api/v1/auth/register", json: body)
        }
        let data = try response.data()
        guard let token = data["accessToken"] as? String, let user = data["user"] as? [String: Any], let id = user["id"] as? String else {
            throw BenchError.unexpected("register answered without accessToken or user.id")
        }
        return BenchUser(id: id, username: username, token: token)
    }

    func login(_ username: String) async throws -> HTTPResponse {
        try await http.request(.POST, "/api/v1/auth/login", json: #"{"username":"\#(username)","password":"\#(Self.password)"}"#)
    }

    /// Opens (or finds) the direct conversation of `user` with `other`; returns its id.
    func direct(_ user: BenchUser, with other: BenchUser) async throws -> String {
        try await conversationID(http.request(.POST, "/api/v1/conversations", json: #"{"type":"direct","userId":"\#(other.id)"}"#, token: user.token))
    }

    func group(_ creator: BenchUser, title: String, members: [BenchUser]) async throws -> String {
        let ids = members.map { "\"\($0.id)\"" }.joined(separator: ",")
        return try await conversationID(
            http.request(.POST, "/api/v1/conversations", json: #"{"type":"group","title":"\#(title)","memberIds":[\#(ids)]}"#, token: creator.token)
        )
    }

    func rename(_ admin: BenchUser, _ conversation: String, title: String) async throws -> HTTPResponse {
        try await http.request(.PATCH, "/api/v1/conversations/\(conversation)", json: #"{"title":"\#(title)"}"#, token: admin.token)
    }

    func add(_ admin: BenchUser, _ conversation: String, _ member: BenchUser) async throws -> HTTPResponse {
        try await http.request(.POST, "/api/v1/conversations/\(conversation)/members", json: #"{"userIds":["\#(member.id)"]}"#, token: admin.token)
    }

    func remove(_ admin: BenchUser, _ conversation: String, _ member: BenchUser) async throws -> HTTPResponse {
        try await http.request(.DELETE, "/api/v1/conversations/\(conversation)/members/\(member.id)", token: admin.token)
    }

    func post(_ user: BenchUser, _ conversation: String, content: String) async throws -> HTTPResponse {
        try await http.request(.POST, "/api/v1/conversations/\(conversation)/messages", json: #"{"content":"\#(content)"}"#, token: user.token)
    }

    func history(_ user: BenchUser, _ conversation: String, before: Int, limit: Int = 50) async throws -> HTTPResponse {
        try await http.request(.GET, "/api/v1/conversations/\(conversation)/messages?before=\(before)&limit=\(limit)", token: user.token)
    }

    /// `q` must be URL-encoded already.
    func searchMessages(_ user: BenchUser, q: String, limit: Int = 50) async throws -> HTTPResponse {
        try await http.request(.GET, "/api/v1/search/messages?q=\(q)&limit=\(limit)", token: user.token)
    }

    func conversations(_ user: BenchUser, limit: Int = 50) async throws -> HTTPResponse {
        try await http.request(.GET, "/api/v1/conversations?limit=\(limit)", token: user.token)
    }

    private func conversationID(_ response: HTTPResponse) throws -> String {
        guard let id = try response.data()["id"] as? String else { throw BenchError.unexpected("conversation without id") }
        return id
    }
}

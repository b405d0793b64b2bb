import ChatTestSupport
import Foundation
import Testing

/// Group requests, speaking the API's JSON like the rest of ``APIClient``.
extension APIClient {
    func createGroup(_ caller: Session, title: String, members: [Session]) async throws -> APIResponse {
        try await createGroup(caller, title: title, memberIDs: members.map(\.id))
    }

    func createGroup(_ caller: Session, title: String, memberIDs: [String]) async throws -> APIResponse {
        try await request(
            .post, "/api/v1/conversations", token: caller.accessToken, body: json(["type": "group", "title": title, "memberIds": memberIDs]))
    }

    /// Creates a group and returns its id, failing the test when creation fails.
    func groupID(_ caller: Session, title: String = "Team", members: [Session]) async throws -> String {
        let response = try await createGroup(caller, title: title, members: members)
        try #require(response.status == 201, "create group: \(response.raw)")
        return try #require(response.data?["id"]?.string)
    }

    func rename(_ caller: Session, _ id: String, title: String) async throws -> APIResponse {
        try await request(.patch, "/api/v1/conversations/\(id)", token: caller.accessToken, body: json(["title": title]))
    }

    func addMembers(_ caller: Session, _ id: String, _ members: [Session]) async throws -> APIResponse {
        try await addMembers(caller, id, userIDs: members.map(\.id))
    }

    func addMembers(_ caller: Session, _ id: String, userIDs: [String]) async throws -> APIResponse {
        try await request(.post, "/api/v1/conversations/\(id)/members", token: caller.accessToken, body: json(["userIds": userIDs]))
    }

    func removeMember(_ caller: Session, _ id: String, _ member: String) async throws -> APIResponse {
        try await request(.delete, "/api/v1/conversations/\(id)/members/\(member)", token: caller.accessToken)
    }

    func conversation(_ caller: Session, _ id: String) async throws -> APIResponse {
        try await request(.get, "/api/v1/conversations/\(id)", token: caller.accessToken)
    }

    /// Registers `count` users named `prefix0`, `prefix1`, … in parallel batches.
    func registerMany(_ prefix: String, count: Int) async throws -> [Session] {
        var sessions: [Session] = []
        for start in stride(from: 0, to: count, by: 25) {
            let batch = try await withThrowingTaskGroup(of: (Int, Session).self) { group in
                for i in start..<min(start + 25, count) { group.addTask { (i, try await register("\(prefix)\(i)")) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            sessions += batch.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return sessions
    }
}

/// Reading group-specific parts of a Conversation object.
extension JSON {
    /// `userId → role` for every member.
    var roles: [String: String] {
        Dictionary(uniqueKeysWithValues: (self["members"]?.array ?? []).compactMap { member in
            member["id"]?.string.flatMap { id in member["role"]?.string.map { (id, $0) } }
        })
    }

    var memberIDs: Set<String> { Set(roles.keys) }
}

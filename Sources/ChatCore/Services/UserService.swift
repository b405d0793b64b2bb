import Foundation

/// Looking users up and searching them.
public struct UserService: Sendable {
    private let store: any ChatStore

    public init(store: any ChatStore) {
        self.store = store
    }

    public func user(id: Int64) async throws -> User {
        guard let user = try await store.user(id: id) else { throw ChatError.notFound("user not found") }
        return user
    }

    /// Users by username; `query` matches a username or display-name prefix, case-insensitively.
    public func search(query: String?, cursor: String?, limit: Int?) async throws -> Page<User> {
        let limit = try Validator.limit(limit)
        let prefix = try Validator.searchQuery(query)
        let after = try cursor.map(Self.decodeCursor)
        let rows = try await store.searchUsers(prefixKey: prefix, afterUsernameKey: after, limit: limit + 1)
        let items = Array(rows.prefix(limit))
        let hasMore = rows.count > limit
        return Page(items: items, hasMore: hasMore, nextCursor: hasMore ? items.last.map { Base64URL.encode(Data($0.username.lowercased().utf8)) } : nil)
    }

    private static func decodeCursor(_ cursor: String) throws -> String {
        // A cursor is a lower-cased username; anything else cannot have come from us.
        guard cursor.utf8.count <= 64, let data = Base64URL.decode(cursor), let key = String(data: data, encoding: .utf8),
            (try? Validator.username(key)) != nil, key == key.lowercased()
        else {
            throw ChatError.validation("invalid cursor", field: "cursor")
        }
        return key
    }
}

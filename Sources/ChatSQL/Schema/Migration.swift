import SQLKit

/// One versioned schema change. Versions are applied in order, each once, and recorded in `schema_migrations`.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var apply: @Sendable (any SQLDatabase, SQLFlavor) async throws -> Void

    public init(version: Int, name: String, apply: @escaping @Sendable (any SQLDatabase, SQLFlavor) async throws -> Void) {
        self.version = version
        self.name = name
        self.apply = apply
    }
}

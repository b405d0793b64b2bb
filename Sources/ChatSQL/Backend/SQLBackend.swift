import SQLKit

/// A database the store can read from and write to in transactions, whatever the engine.
public protocol SQLBackend: Sendable {
    var flavor: SQLFlavor { get }
    /// Runs `body` on one connection, outside any explicit transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction on one connection; commits when it returns, rolls back when it throws.
    /// Throws ``CommitOutcomeUnknown`` when the connection was lost during COMMIT (the transaction may have committed).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Closes every connection. The backend is unusable afterwards.
    func shutdown() async
    /// Runs `body` (the migrator) while no other process migrates the same database.
    func withMigrationLock<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T
}

extension SQLBackend {
    /// Engines whose write transactions are exclusive (SQLite's `BEGIN IMMEDIATE`) need no extra lock: the
    /// migrator's check-and-apply inside one transaction is already serialised.
    public func withMigrationLock<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await body()
    }
}

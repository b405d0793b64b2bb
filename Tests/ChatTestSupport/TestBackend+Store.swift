import ChatSQL
import Logging

extension TestBackend {
    /// Opens and migrates a fresh database, runs `body` with the store and its backend, then closes and removes it.
    public func withStore<T: Sendable>(_ body: (SQLChatStore, any SQLBackend) async throws -> T) async throws -> T {
        try await withDatabaseURL { url in
            let backend = try await ChatDatabase.open(url, logger: Self.logger)
            do {
                try await Migrator(backend: backend, logger: Self.logger).migrate()
                let result = try await body(SQLChatStore(backend: backend), backend)
                await backend.shutdown()
                return result
            } catch {
                await backend.shutdown()
                throw error
            }
        }
    }
}

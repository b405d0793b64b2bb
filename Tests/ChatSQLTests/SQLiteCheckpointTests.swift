import ChatSQL
import ChatTestSupport
import Foundation
import SQLKit
import Testing

/// The WAL is copied back into the database file by a background connection, so that no commit on the send path
/// has to do it (docs/performance.md, "P1: CPU per message").
@Suite("ChatSQL: SQLite checkpoints")
struct SQLiteCheckpointTests {
    @Test("the WAL reaches the database file in the background, long before the writer's own threshold")
    func backgroundCheckpoint() async throws {
        try await TestBackend.sqliteFile.withDatabaseURL { url in
            let path = try #require(Self.path(of: url))
            let backend = try await SQLiteBackend.open(path: path, logger: TestBackend.logger)
            do {
                try await backend.transaction { db in try await db.raw("CREATE TABLE blobs (data BLOB)").run() }
                let threshold = try await backend.transaction { db in
                    try await db.raw("PRAGMA wal_autocheckpoint").first(decodingColumn: "wal_autocheckpoint", as: Int.self)
                }
                #expect(threshold == 8_000)
                let before = try Self.fileSize(path)
                // About 50 pages in 25 commits: far below any automatic threshold (SQLite's default is 1,000 pages),
                // so only a checkpoint from elsewhere moves them out of the WAL into the file.
                for _ in 0..<25 {
                    try await backend.transaction { db in try await db.raw("INSERT INTO blobs VALUES (randomblob(8000))").run() }
                }
                let deadline = ContinuousClock.now + .seconds(5)
                var size = try Self.fileSize(path)
                while size < before + 150_000, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    size = try Self.fileSize(path)
                }
                #expect(size >= before + 150_000, "database file \(before) → \(size) bytes")
                let rows = try await backend.read { db in try await db.raw("SELECT count(*) AS n FROM blobs").first(decodingColumn: "n", as: Int.self) }
                #expect(rows == 25)
            } catch {
                await backend.shutdown()
                throw error
            }
            await backend.shutdown()
        }
    }

    private static func path(of url: DatabaseURL) -> String? {
        if case .sqlite(let path) = url { return path }
        return nil
    }

    private static func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}

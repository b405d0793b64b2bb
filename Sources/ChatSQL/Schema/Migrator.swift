import Foundation
import Logging
import SQLKit

/// Brings a database up to the newest schema.
public struct Migrator: Sendable {
    /// Every migration ChatOne has, oldest first. Append only: never edit one that has shipped.
    public static let all: [Migration] = [InitialSchema.migration, SessionDetailsSchema.migration, MessageFeaturesSchema.migration]

    private let backend: any SQLBackend
    private let logger: Logger

    public init(backend: any SQLBackend, logger: Logger) {
        self.backend = backend
        self.logger = logger
    }

    /// Applies pending migrations and returns the versions it applied.
    @discardableResult
    public func migrate() async throws -> [Int] {
        let backend = backend
        let logger = logger
        return try await backend.withMigrationLock { try await Self.migrate(backend: backend, logger: logger) }
    }

    private static func migrate(backend: any SQLBackend, logger: Logger) async throws -> [Int] {
        let flavor = backend.flavor
        try await backend.transaction { db in
            try await db.create(table: "schema_migrations").ifNotExists()
                .column("version", type: .bigint, .primaryKey(autoIncrement: false))
                .column("name", type: .custom(SQLRaw("VARCHAR(200)")), .notNull)
                .column("applied_at", type: .bigint, .notNull)
                .run()
        }
        var applied: [Int] = []
        for migration in Self.all {
            let done = try await backend.transaction { db in
                // Re-checked inside the transaction so two processes migrating at once apply each version once.
                let existing = try await db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)").first()
                guard existing == nil else { return false }
                try await migration.apply(db, flavor)
                try await db.raw(
                    """
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Date().millis))
                    """
                ).run()
                return true
            }
            if done {
                applied.append(migration.version)
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            }
        }
        return applied
    }
}

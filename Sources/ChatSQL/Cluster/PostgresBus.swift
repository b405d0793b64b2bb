import ChatCore
import Foundation
import Logging
import PostgresNIO
import SQLKit

/// PostgreSQL's LISTEN/NOTIFY as the bus between nodes.
///
/// A notification is a wake-up with a small text payload; anything over ``inlineLimit`` bytes is stored in
/// `cluster_payloads` and the notification names its row (`@<id>`), since NOTIFY refuses payloads of 8,000 bytes or
/// more. Notifications are sent outside any transaction (after the commit they announce), and PostgreSQL delivers
/// them to each listener in the order they were sent.
public final class PostgresBus: Sendable {
    public static let channel = "chatone_bus"
    /// Below PostgreSQL's 8,000-byte limit, with room for the server's own framing.
    public static let inlineLimit = 7_000

    private let backend: PostgresBackend
    private let store: ClusterStore
    private let ids: IDGenerator
    private let logger: Logger

    public init(backend: PostgresBackend, ids: IDGenerator, logger: Logger) {
        self.backend = backend
        self.store = ClusterStore(backend: backend)
        self.ids = ids
        self.logger = logger
    }

    /// Sends `payload` to every listening node (this one included).
    public func publish(_ payload: String) async throws {
        var text = payload
        if payload.utf8.count > Self.inlineLimit {
            let id = ids.next()
            try await store.storePayload(id: id, payload)
            text = "@\(id)"
        }
        let notification = text
        _ = try await backend.read { db in
            // A NOTIFY commits a transaction of its own, which would wait for a WAL flush like any write; what it
            // announces is already durable, and a notification lost in a crash is caught up from the database (gap
            // reads, resync), so it need not wait.
            try await db.raw(
                "SELECT set_config('synchronous_commit', 'off', true), pg_notify(\(bind: Self.channel), \(bind: notification))"
            ).run()
        }
    }

    /// Listens until the task is cancelled, handing each payload to `receive` in order (stored ones are read first).
    /// Each time a LISTEN is in place (at first, and again on a new connection after one broke) it calls
    /// `listening`, so the caller can read from the database whatever it may have missed before.
    ///
    /// With `lock`, the connection first takes that session-level advisory lock and holds it while it lives: other
    /// processes tell from it, at once, whether this one is still there (a killed process's connection ends with it).
    public func listen(
        lock: (Int32, Int32)? = nil, listening: @escaping @Sendable () async -> Void, receive: @escaping @Sendable (String) async -> Void
    ) async {
        while !Task.isCancelled {
            do {
                // The backend's guarded lease: a connection that closes under the LISTEN ends it instead of hanging.
                try await backend.withConnection { [logger] connection in
                    // Never waits: should an earlier connection of this process still hold it, the process holds it.
                    if let lock {
                        _ = try await connection.query("SELECT pg_try_advisory_lock(\(lock.0), \(lock.1))", logger: logger)
                    }
                    do {
                        try await connection.listen(on: Self.channel) { notifications in
                            await listening()
                            for try await notification in notifications {
                                await receive(try await self.resolve(notification.payload))
                            }
                        }
                    } catch {
                        // The connection may go back to the pool alive: it must not keep the lock there.
                        if lock != nil { _ = try? await connection.query("SELECT pg_advisory_unlock_all()", logger: logger) }
                        throw error
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("cluster bus: LISTEN connection lost; listening again", metadata: ["error": "\(PostgresBackend.describe(error))"])
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    private func resolve(_ payload: String) async throws -> String {
        guard payload.hasPrefix("@"), let id = Int64(payload.dropFirst()) else { return payload }
        guard let stored = try await store.payload(id: id) else {
            logger.error("cluster bus: a stored payload is gone", metadata: ["payload.id": "\(id)"])
            return "{}"
        }
        return stored
    }
}

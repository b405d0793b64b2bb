import Logging
import PostgresNIO
import SQLKit

extension PostgresBackend {
    /// The server settings that decide whether a committed transaction is on stable storage when COMMIT returns.
    public struct DurabilitySettings: Sendable, Equatable {
        /// `fsync`: off lets the server skip flushing altogether; a crash can then corrupt the cluster.
        public var fsync: String?
        /// `synchronous_commit` as ChatOne's sessions see it (ChatOne sets it to `on` for its own connections).
        public var synchronousCommit: String?

        public init(fsync: String?, synchronousCommit: String?) {
            self.fsync = fsync
            self.synchronousCommit = synchronousCommit
        }

        /// What an operator should hear about these settings; empty when every commit is flushed.
        public var warnings: [String] {
            var warnings: [String] = []
            if fsync != "on" {
                warnings.append(
                    "PostgreSQL fsync is \(fsync ?? "unknown"), not on: acknowledged messages (and the database itself) can be lost on an "
                        + "OS crash or power loss (see docs/postgresql.md)")
            }
            if synchronousCommit == "off" {
                warnings.append("synchronous_commit is \(synchronousCommit ?? "unknown") for ChatOne's sessions: acknowledged messages can be lost")
            }
            return warnings
        }
    }

    /// Reads the server's durability settings on one of ChatOne's own sessions.
    public func durabilitySettings() async throws -> DurabilitySettings {
        try await read { db in
            let row = try await db.raw(
                "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit"
            ).first()
            return DurabilitySettings(
                fsync: try row?.decode(column: "fsync", as: String?.self),
                synchronousCommit: try row?.decode(column: "synchronous_commit", as: String?.self))
        }
    }

    /// Logs a warning for each setting that lets a commit return before it is on stable storage. The server is not
    /// refused: a deployment may trade durability for speed knowingly, but never silently.
    func warnAboutDurability(logger: Logger) async {
        do {
            for warning in try await durabilitySettings().warnings { logger.warning("\(warning)") }
        } catch {
            logger.warning("could not read the server's durability settings", metadata: ["error": "\(Self.describe(error))"])
        }
    }
}

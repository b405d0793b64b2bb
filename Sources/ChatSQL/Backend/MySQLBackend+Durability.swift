import Logging
import MariaDB

extension MySQLBackend {
    /// The server settings that decide whether a committed transaction is on stable storage when COMMIT returns.
    public struct DurabilitySettings: Sendable, Equatable {
        /// `@@innodb_flush_log_at_trx_commit`: 1 writes and syncs the redo log at every commit.
        public var flushLogAtTrxCommit: Int64?
        /// Whether the binary log is on (`@@log_bin`).
        public var binlogEnabled: Bool
        /// `@@sync_binlog`: 1 syncs the binary log at every commit; only matters with the binary log on.
        public var syncBinlog: Int64?

        public init(flushLogAtTrxCommit: Int64?, binlogEnabled: Bool, syncBinlog: Int64?) {
            self.flushLogAtTrxCommit = flushLogAtTrxCommit
            self.binlogEnabled = binlogEnabled
            self.syncBinlog = syncBinlog
        }

        /// What an operator should hear about these settings; empty when every commit is synced.
        public var warnings: [String] {
            var warnings: [String] = []
            if flushLogAtTrxCommit != 1 {
                warnings.append(
                    "innodb_flush_log_at_trx_commit is \(flushLogAtTrxCommit.map(String.init) ?? "unknown"), not 1: "
                        + "acknowledged messages can be lost on an OS crash or power loss (see docs/operations.md)")
            }
            if binlogEnabled, syncBinlog != 1 {
                warnings.append(
                    "sync_binlog is \(syncBinlog.map(String.init) ?? "unknown"), not 1, with the binary log on: "
                        + "after an OS crash, replicas and point-in-time recovery can miss acknowledged messages (see docs/operations.md)")
            }
            return warnings
        }
    }

    /// Reads the server's durability settings.
    public func durabilitySettings() async throws -> DurabilitySettings {
        try await client.withConnection { connection in
            let row = try await connection.query(
                "SELECT @@innodb_flush_log_at_trx_commit AS flush, @@log_bin AS log_bin, @@sync_binlog AS sync_binlog"
            ).rows.first
            return DurabilitySettings(
                flushLogAtTrxCommit: row?["flush"]?.int64, binlogEnabled: (row?["log_bin"]?.int64 ?? 0) != 0,
                syncBinlog: row?["sync_binlog"]?.int64)
        }
    }

    /// Logs a warning for each setting that lets a commit return before it is on stable storage. The server is not
    /// refused: a deployment may trade durability for speed knowingly, but never silently.
    func warnAboutDurability(logger: Logger) async {
        do {
            for warning in try await durabilitySettings().warnings { logger.warning("\(warning)") }
        } catch {
            logger.warning("could not read the server's durability settings", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}

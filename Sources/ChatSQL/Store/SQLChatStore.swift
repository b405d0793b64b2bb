import ChatCore
import Foundation
import Logging
import SQLKit

/// The ChatStore over SQL, written once for SQLite and MySQL/MariaDB.
///
/// Values always travel as bound parameters (`\(bind:)`); only fixed SQL text is ever interpolated.
public struct SQLChatStore: ChatStore {
    let backend: any SQLBackend

    public init(backend: any SQLBackend) {
        self.backend = backend
    }

    public func ping() async throws {
        _ = try await backend.read { db in try await db.raw("SELECT 1 AS ok").first() }
    }
}

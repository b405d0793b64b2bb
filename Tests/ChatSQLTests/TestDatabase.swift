import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import Logging
import Testing

/// A real database for one test: a fresh SQLite file (or in-memory database), or a fresh database on the MariaDB
/// server named by `CHATONE_TEST_MYSQL_URL`; removed afterwards. Every store test runs against each kind listed in
/// ``all``. Without a MariaDB server the `mariadb` cases are cancelled with a message, so they show as skipped.
enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqliteFile
    case sqliteMemory
    case mariadb

    static var all: [TestDatabase] { allCases }

    var testDescription: String { rawValue }

    static let logger: Logger = {
        var logger = Logger(label: "chatsql-test")
        logger.logLevel = .warning
        return logger
    }()

    /// Opens and migrates a fresh database, runs `body`, then closes and removes it.
    func withStore<T: Sendable>(_ body: (SQLChatStore, any SQLBackend) async throws -> T) async throws -> T {
        switch self {
        case .sqliteFile, .sqliteMemory:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chatsql-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let url: DatabaseURL = self == .sqliteFile ? .sqlite(path: dir.appendingPathComponent("chat.sqlite").path) : .sqlite(path: nil)
            return try await Self.run(url, body)
        case .mariadb:
            guard MySQLTestServer.url != nil else {
                // The console does not list cancelled cases of a parameterised test, so a warning says it too.
                Issue.record(Comment(rawValue: MySQLTestServer.skipMessage), severity: .warning)
                try Test.cancel(Comment(rawValue: MySQLTestServer.skipMessage))
            }
            return try await MySQLTestServer.withScratchDatabase { url in
                try await Self.run(try DatabaseURL(parsing: url), body)
            }
        }
    }

    private static func run<T: Sendable>(_ url: DatabaseURL, _ body: (SQLChatStore, any SQLBackend) async throws -> T) async throws -> T {
        let backend = try await ChatDatabase.open(url, logger: logger)
        do {
            try await Migrator(backend: backend, logger: logger).migrate()
            let result = try await body(SQLChatStore(backend: backend), backend)
            await backend.shutdown()
            return result
        } catch {
            await backend.shutdown()
            throw error
        }
    }
}

/// Builders for store inputs, with ids from a real generator.
enum Fixtures {
    static let ids = IDGenerator()

    static func user(_ name: String, displayName: String? = nil) -> NewUser {
        NewUser(id: ids.next(), username: name, displayName: displayName ?? name, passwordHash: "$2b$04$notarealhashbutstoredasone", createdAt: Date())
    }

    static func direct(_ a: Int64, _ b: Int64) -> NewConversation {
        NewConversation(
            id: ids.next(), kind: .direct, title: nil, directKey: NewConversation.directKey(a, b), members: [(a, .member), (b, .member)],
            createdAt: Date())
    }

    static func draft(_ conversation: Int64, from sender: Int64, _ content: String = "hello", clientID: String? = nil) -> MessageDraft {
        MessageDraft(id: ids.next(), conversationID: conversation, senderID: sender, content: content, clientMessageID: clientID, createdAt: Date())
    }
}

import ChatCore
import ChatSQL
import Foundation
import Logging
import Testing

/// A real database for one test: a fresh SQLite file (or in-memory database), removed afterwards.
/// Every store test runs against each kind listed in ``all``.
enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqliteFile
    case sqliteMemory

    static var all: [TestDatabase] { allCases }

    var testDescription: String { rawValue }

    static let logger: Logger = {
        var logger = Logger(label: "chatsql-test")
        logger.logLevel = .warning
        return logger
    }()

    /// Opens and migrates a fresh database, runs `body`, then closes and removes it.
    func withStore<T: Sendable>(_ body: (SQLChatStore, any SQLBackend) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chatsql-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url: DatabaseURL =
            switch self {
            case .sqliteFile: .sqlite(path: dir.appendingPathComponent("chat.sqlite").path)
            case .sqliteMemory: .sqlite(path: nil)
            }
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

import ChatCore
import ChatSQL
import Foundation
import Logging

/// A migrated SQLite file for one test, removed afterwards.
enum RealtimeTestStore {
    static let logger: Logger = {
        var logger = Logger(label: "realtime-test")
        logger.logLevel = .warning
        return logger
    }()

    static func with(_ body: (SQLChatStore, IDGenerator) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chatone-rt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let backend = try await ChatDatabase.open(.sqlite(path: dir.appendingPathComponent("chat.sqlite").path), logger: logger)
        do {
            try await Migrator(backend: backend, logger: logger).migrate()
            try await body(SQLChatStore(backend: backend), IDGenerator())
            await backend.shutdown()
        } catch {
            await backend.shutdown()
            throw error
        }
    }

    static func newUser(_ name: String, _ ids: IDGenerator) -> NewUser {
        NewUser(id: ids.next(), username: name, displayName: name, passwordHash: "$2b$04$notarealhashbutstoredasone", createdAt: Date())
    }

    static func direct(_ a: Int64, _ b: Int64, _ ids: IDGenerator) -> NewConversation {
        NewConversation(
            id: ids.next(), kind: .direct, title: nil, directKey: NewConversation.directKey(a, b), members: [(a, .member), (b, .member)],
            createdAt: Date())
    }
}

import ChatCore
import Foundation

/// Builders for store inputs, with ids from a real generator.
public enum Fixtures {
    public static let ids = IDGenerator()

    public static func user(_ name: String, displayName: String? = nil) -> NewUser {
        NewUser(id: ids.next(), username: name, displayName: displayName ?? name, passwordHash: "$2b$04$notarealhashbutstoredasone", createdAt: Date())
    }

    public static func direct(_ a: Int64, _ b: Int64) -> NewConversation {
        NewConversation(
            id: ids.next(), kind: .direct, title: nil, directKey: NewConversation.directKey(a, b), members: [(a, .member), (b, .member)],
            createdAt: Date())
    }

    public static func draft(_ conversation: Int64, from sender: Int64, _ content: String = "hello", clientID: String? = nil) -> MessageDraft {
        MessageDraft(id: ids.next(), conversationID: conversation, senderID: sender, content: content, clientMessageID: clientID, createdAt: Date())
    }
}

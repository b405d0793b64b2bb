/// The result of appending one draft: a new message, or the one already stored under the same
/// `clientMessageId` (an idempotent retry).
public enum AppendOutcome: Sendable, Equatable {
    case created(Message)
    case existing(Message)

    public var message: Message {
        switch self {
        case .created(let message), .existing(let message): message
        }
    }

    public var isNew: Bool {
        if case .created = self { return true }
        return false
    }
}

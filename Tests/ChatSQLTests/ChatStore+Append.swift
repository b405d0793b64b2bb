import ChatCore

extension ChatStore {
    /// Appends and returns the outcomes, throwing the first draft's error: for tests where every draft must succeed.
    func append(_ drafts: [MessageDraft]) async throws -> [AppendOutcome] {
        try await appendMessages(drafts).map { try $0.get().outcome }
    }
}

import Foundation

/// Persistence for ChatOne. Implementations know SQL; the services above know only this protocol.
///
/// Every method is safe to call concurrently. Uniqueness guarantees (usernames, the direct pair, message
/// `seq`, `clientMessageId`) are the store's to keep, because only the database can keep them across
/// concurrent requests and several server processes.
public protocol ChatStore: Sendable {
    // MARK: Users

    /// Creates a user. Throws ``ChatError/conflict(_:field:)`` when the username is taken (case-insensitively).
    func insertUser(_ user: NewUser) async throws -> User
    func credentials(usernameKey: String) async throws -> UserCredentials?
    func user(id: Int64) async throws -> User?
    func users(ids: [Int64]) async throws -> [User]
    /// Users ordered by lower-cased username, after `afterUsernameKey`, whose username or display name starts
    /// with `prefixKey` (lower-cased) when one is given. Returns at most `limit` rows.
    func searchUsers(prefixKey: String?, afterUsernameKey: String?, limit: Int) async throws -> [User]
    func setLastSeen(userID: Int64, at: Date) async throws
    /// Stores several users' `lastSeenAt` in one transaction (presence writes many at once when many users connect
    /// or leave together).
    func setLastSeen(_ times: [Int64: Date]) async throws

    // MARK: Logins and refresh tokens

    func createSession(_ session: AuthSession, firstToken: RefreshTokenRecord) async throws
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    /// Marks `tokenID` used and stores `replacement`, atomically. Returns false, storing nothing, when the
    /// token had already been used: the caller treats that as reuse. Also moves the login's `lastUsedAt` to `at`,
    /// unless it moved within the last minute (so a client refreshing in a loop costs no extra write).
    func rotateRefreshToken(tokenID: Int64, replacement: RefreshTokenRecord, at: Date) async throws -> Bool
    /// Revokes the login and its refresh tokens. Returns false when it was already revoked (or does not exist).
    @discardableResult
    func revokeSession(id: Int64, at: Date) async throws -> Bool
    func session(id: Int64) async throws -> AuthSession?
    /// The user's logins that are not revoked, newest first.
    func sessions(userID: Int64) async throws -> [AuthSession]
    /// Revokes every live login of the user except `keeping` (and their refresh tokens), in one transaction.
    /// Returns the ids of the logins it revoked.
    func revokeSessions(userID: Int64, except keeping: Int64?, at: Date) async throws -> [Int64]
    /// Replaces the user's password hash and revokes every other login, in one transaction. Returns the ids of
    /// the logins it revoked.
    func changePassword(userID: Int64, passwordHash: String, keepingSession keeping: Int64, at: Date) async throws -> [Int64]

    // MARK: Conversations

    /// The direct conversation with `conversation.directKey`, created from `conversation` if none exists yet.
    /// Two concurrent calls for the same pair return the same conversation; `created` is true for exactly one.
    func findOrCreateDirectConversation(_ conversation: NewConversation) async throws -> (conversation: Conversation, created: Bool)
    /// The conversation, or nil when it does not exist or `memberID` is not a member of it.
    func conversation(id: Int64, memberID: Int64) async throws -> Conversation?
    /// The member's conversations, most recent activity first, after `cursor`, at most `limit`.
    func conversations(memberID: Int64, after cursor: ConversationCursor?, limit: Int) async throws -> [Conversation]
    /// The ids of the conversation's members, or nil when the conversation does not exist.
    func memberIDs(conversationID: Int64) async throws -> [Int64]?
    /// The distinct ids of the users who share at least one conversation with `userID`, never `userID` itself,
    /// and never a user who blocked `userID` or whom `userID` blocked: the audience of that user's presence.
    func contactIDs(userID: Int64) async throws -> [Int64]

    // MARK: Messages

    /// Appends drafts in order, in one transaction, giving each the next `seq` of its conversation, and returns
    /// one result per draft, in order. A draft whose `clientMessageID` was already used by the same sender in the
    /// same conversation yields `.existing`. A draft whose conversation does not exist or whose sender is not a
    /// member (checked under the conversation's lock, so a removal a moment ago counts) fails alone with
    /// ``ChatError/notFound(_:)`` and takes no `seq`; its neighbours are stored. Each result carries the
    /// conversation's members read under that lock: the message's audience. A draft whose `replyToSeq` is not a
    /// `seq` of the conversation fails alone with a validation error on `replyToSeq`; one sent into a direct
    /// conversation whose other member blocked the sender fails alone with ``ChatError/blocked``.
    ///
    /// This is the single append path, so batching concurrent sends (group commit) happens here. It throws only
    /// when the transaction itself fails, and then nothing of the batch is stored.
    func appendMessages(_ drafts: [MessageDraft]) async throws -> [Result<AppendedMessage, ChatError>]
    /// Up to `limit` messages in ascending `seq` order.
    func messages(conversationID: Int64, range: MessageRange, limit: Int) async throws -> [Message]
    /// Changes one message race-safely. In one transaction, with the conversation locked against appends, membership
    /// changes and other message changes, the store reads a ``MessageSnapshot`` and asks `decide` for a
    /// ``MessageChangePlan`` (the service's rules and authorization), applies it and returns the message afterwards
    /// with the conversation's members. An error thrown by `decide` reaches the caller unchanged.
    /// Throws ``ChatError/notFound(_:)`` when the conversation does not exist or `callerID` is not a member of it, or
    /// when it has no message `seq`. Deleting empties the text (and the search index) and removes the reactions.
    func changeMessage(
        conversationID: Int64, seq: Int64, callerID: Int64, at date: Date,
        _ decide: @escaping @Sendable (MessageSnapshot) throws -> MessageChangePlan
    ) async throws -> MessageChange
    /// Full-text search, newest first (by id), over the non-deleted messages of the conversations the searcher is a
    /// member of now. At most `search.limit` messages.
    func searchMessages(_ search: MessageSearch) async throws -> [Message]
    /// Moves the member's `lastReadSeq` forward to `seq` (never back) and returns the resulting value.
    func markRead(conversationID: Int64, userID: Int64, seq: Int64) async throws -> Int64

    // MARK: Blocks

    /// Blocks (`blocked` true) or unblocks `blockedID` for `blockerID`. Idempotent; returns whether anything changed.
    @discardableResult
    func setBlocked(blockerID: Int64, blockedID: Int64, _ blocked: Bool, at date: Date) async throws -> Bool
    /// The users `blockerID` blocked, newest block first, after `cursor`, at most `limit`.
    func blockedUsers(blockerID: Int64, after cursor: BlockCursor?, limit: Int) async throws -> [BlockedUser]
    /// Every block between two users of `userIDs`, in either direction.
    func blockPairs(among userIDs: [Int64]) async throws -> [BlockPair]

    // MARK: Groups

    /// Creates a group conversation with its members in one transaction and returns it.
    func createGroupConversation(_ conversation: NewConversation) async throws -> Conversation
    /// Changes a group's membership or title race-safely. In one transaction, with the conversation locked against
    /// every other membership change and message append, the store reads a ``GroupSnapshot``, asks `decide`
    /// for a ``GroupPlan`` (that is where the domain rules and authorization run), applies it and reads the result.
    /// An error thrown by `decide` rolls everything back and reaches the caller unchanged.
    /// Throws ``ChatError/notFound(_:)`` when the conversation does not exist.
    func changeGroup(
        conversationID: Int64, at date: Date, _ decide: @escaping @Sendable (GroupSnapshot) throws -> GroupPlan
    ) async throws -> AppliedGroupPlan

    // MARK: Health

    /// Throws when the database cannot be reached.
    func ping() async throws
}

/// One notification on the cluster bus, as JSON. Short keys: most of these ride in NOTIFY payloads.
struct ClusterMessage: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        /// Messages were committed: `ranges` holds `[conversationId, fromSeq, toSeq]` per conversation, and `messages`
        /// those of them that fit in the notification (``RelayedMessage``). Receivers read the others from the
        /// database, and any they see a gap before.
        case messages = "m"
        /// A real-time event for `users`' sockets (typing, receipts, conversation events, presence), `payload` as JSON.
        case event = "e"
        /// One event to each of several users with their own payload (a conversation as each member sees it), sent as
        /// one notification: ``SharedPayloads`` holds each distinct piece of text once.
        case eachEvent = "ee"
        /// `users` were removed from conversation `conversation`: nothing more of it may reach them.
        case revoke = "rv"
        /// `users` were added (back) to `conversation`.
        case restore = "rs"
        /// Logins `sessions` were revoked: their sockets end on every node.
        case sessions = "s"
        /// User `user` is now online (`online`) on node `node`, or no longer.
        case presence = "p"
        /// Node `node` is stopping: it holds no sockets any more.
        case left = "l"
    }

    var kind: Kind
    /// The node that sent it.
    var node: Int
    var ranges: [[Int64]]? = nil
    var event: String? = nil
    var users: [Int64]? = nil
    var exceptSocket: String? = nil
    var payload: String? = nil
    var conversation: Int64? = nil
    var sessions: [Int64]? = nil
    var user: Int64? = nil
    var online: Bool? = nil
    /// A conversation event's cluster-wide id: every node logs it for connection state recovery.
    var eventID: Int64? = nil
    var messages: [RelayedMessage]? = nil
    var shared: SharedPayloads? = nil

    enum CodingKeys: String, CodingKey {
        case kind = "k", node = "n", ranges = "r", event = "ev", users = "u", exceptSocket = "x", payload = "p"
        case conversation = "c", sessions = "s", user = "uid", online = "on", eventID = "eid", messages = "ms", shared = "sp"
    }
}

import ChatCore
import SocketIO

/// A conversation after a change, encoded for every member: the members list and everything else once
/// (``SharedConversationJSON``), each member's own unread count, and an encoding of their own for members on either
/// side of a block with another member (they see that member offline). Made once per change and used for each
/// member's event and for the REST answer, so a change to a 500-member group encodes its 500 members once.
struct ConversationPayloads: Sendable {
    let conversation: Conversation
    private let shared: SharedConversationJSON
    /// For each member on either side of a block within the conversation: the members whose presence they do not see.
    private let hidden: [Int64: Set<Int64>]

    init(_ conversation: Conversation, blockPairs: [BlockPair], isOnline: (Int64) -> Bool) throws {
        self.conversation = conversation
        self.shared = try SharedConversationJSON(conversation, isOnline: isOnline)
        var hidden: [Int64: Set<Int64>] = [:]
        for pair in blockPairs {
            hidden[pair.blockerID, default: []].insert(pair.blockedID)
            hidden[pair.blockedID, default: []].insert(pair.blockerID)
        }
        self.hidden = hidden
    }

    /// Whether `userID` is a member of the conversation.
    func isMember(_ userID: Int64) -> Bool { shared.isMember(userID) }

    /// The conversation as `viewerID` sees it, byte for byte what encoding their ``APIConversation`` gives.
    func json(for viewerID: Int64, isOnline: (Int64) -> Bool) throws -> EncodedJSON {
        guard let hidden = hidden[viewerID] else { return shared.json(for: viewerID) }
        let view = ConversationView(conversation: conversation, viewerID: viewerID)
        return try EncodedJSON(encoding: APIConversation(view, isOnline: isOnline, hidden: hidden), encoder: APICoding.encoder())
    }
}

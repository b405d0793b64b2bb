import SocketIO

/// Where real-time events leave the process: every live socket of the given users, optionally minus one socket.
/// The Socket.IO gateway implements it; the chat logic above never touches sockets directly.
protocol RealtimeBroadcaster: Sendable {
    func emit(_ event: String, _ payload: JSONValue, toUsers userIDs: [Int64], exceptSocket: String?) async

    /// The event to each user with their own payload (a conversation as each member sees it), in order. A
    /// broadcaster may send them as one step; the default sends them one after the other.
    func emit(_ event: String, each payloads: [(userID: Int64, payload: JSONValue)]) async
}

extension RealtimeBroadcaster {
    func emit(_ event: String, each payloads: [(userID: Int64, payload: JSONValue)]) async {
        for (userID, payload) in payloads { await emit(event, payload, toUsers: [userID], exceptSocket: nil) }
    }
}

import SocketIO

/// Where real-time events leave the process: every live socket of the given users, optionally minus one socket.
/// The Socket.IO gateway implements it; the chat logic above never touches sockets directly.
protocol RealtimeBroadcaster: Sendable {
    func emit(_ event: String, _ payload: JSONValue, toUsers userIDs: [Int64], exceptSocket: String?) async
}

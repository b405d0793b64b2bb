public import Foundation

/// What a socket that dropped leaves behind for its recovery: its ids, rooms and data.
public struct SocketIOPersistedSession: Sendable, Hashable {
    /// The namespace of the socket.
    public var namespace: String
    /// The socket id, given back to the recovered socket.
    public var socketID: String
    /// The private session id the client presents to recover (never shown to other clients).
    public var pid: String
    /// The rooms the socket was in (its own id included).
    public var rooms: Set<String>
    /// `socket.data` when it dropped.
    public var data: JSONValue
    /// The newest offset recorded when the socket first connected: nothing before it is ever replayed to this
    /// session, even for a client that presents an older offset (one from an earlier session).
    public var baseOffset: String?
    /// When it dropped (wall-clock time, so that processes sharing a store agree).
    public var disconnectedAt: Date

    public init(
        namespace: String, socketID: String, pid: String, rooms: Set<String>, data: JSONValue, baseOffset: String?,
        disconnectedAt: Date
    ) {
        self.namespace = namespace
        self.socketID = socketID
        self.pid = pid
        self.rooms = rooms
        self.data = data
        self.baseOffset = baseOffset
        self.disconnectedAt = disconnectedAt
    }
}

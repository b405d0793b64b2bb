/// The room registry and broadcast seam of a namespace.
///
/// The in-memory `SocketIOMemoryAdapter` serves one process. A cross-node adapter (Redis, a
/// message bus) implements the same calls, forwarding broadcasts to other nodes and delivering
/// locally through `SocketIONamespace.deliver(_:to:options:)`; handlers do not change.
public protocol SocketIOAdapter: Sendable {
    /// Adds a socket to rooms.
    func join(socketID: String, rooms: Set<String>) async
    /// Removes a socket from a room.
    func leave(socketID: String, room: String) async
    /// Removes a socket from every room (on disconnect).
    func leaveAll(socketID: String) async
    /// The rooms a socket is in.
    func rooms(of socketID: String) async -> Set<String>
    /// Ids of the sockets matching `options` (rooms and exceptions).
    func socketIDs(matching options: SocketIOBroadcastOptions) async -> Set<String>
    /// Sends a packet to every socket matching `options`.
    func broadcast(_ packet: SocketIOPacket, options: SocketIOBroadcastOptions) async
}

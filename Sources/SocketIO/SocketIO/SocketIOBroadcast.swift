/// A broadcast target: rooms, exceptions and volatility, built fluently.
///
/// ```swift
/// await io.of("/").to("room-1").except(socket.id).emit("message", "hi")
/// await socket.to("room-1").emit("typing", ["user": "u1"])      // everyone in room-1 but socket
/// ```
public struct SocketIOBroadcast: Sendable {
    let namespace: SocketIONamespace
    /// The target as adapter options.
    public private(set) var options: SocketIOBroadcastOptions

    init(namespace: SocketIONamespace, options: SocketIOBroadcastOptions) {
        self.namespace = namespace
        self.options = options
    }

    /// Adds rooms to the target (a socket in any of them receives the packet once).
    public func to(_ rooms: String...) -> SocketIOBroadcast {
        var copy = self
        copy.options.rooms.formUnion(rooms)
        return copy
    }

    /// Adds rooms to the target.
    public func to(rooms: some Sequence<String>) -> SocketIOBroadcast {
        var copy = self
        copy.options.rooms.formUnion(rooms)
        return copy
    }

    /// Excludes the sockets in these rooms (pass a socket id to exclude one socket).
    public func except(_ rooms: String...) -> SocketIOBroadcast {
        var copy = self
        copy.options.except.formUnion(rooms)
        return copy
    }

    /// Excludes the sockets in these rooms.
    public func except(rooms: some Sequence<String>) -> SocketIOBroadcast {
        var copy = self
        copy.options.except.formUnion(rooms)
        return copy
    }

    /// Drops the packet for clients that are behind instead of queueing it.
    public var volatile: SocketIOBroadcast {
        var copy = self
        copy.options.isVolatile = true
        return copy
    }

    /// Emits an event to the target.
    public func emit(_ event: String, _ arguments: JSONValue...) async {
        await emit(event, arguments: arguments)
    }

    /// Emits an event to the target. The packet is encoded once for every recipient.
    public func emit(_ event: String, arguments: [JSONValue]) async {
        let packet = SocketIOPacket(type: .event, namespace: namespace.name, data: .array([.string(event)] + arguments))
        await namespace.publish(packet, options: options)
    }

    /// Emits an event with one `Encodable` argument.
    public func emit(_ event: String, encoding value: some Encodable) async throws {
        await emit(event, arguments: [try JSONValue(encoding: value)])
    }

    /// The connected sockets of the target on this node.
    public func fetchSockets() async -> [SocketIOSocket] {
        let ids = await namespace.adapter.socketIDs(matching: options)
        return ids.compactMap { namespace.socket(id: $0) }
    }

    /// Makes the target's sockets join rooms.
    public func socketsJoin(_ rooms: String...) async {
        for socket in await fetchSockets() { await socket.join(rooms: rooms) }
    }

    /// Makes the target's sockets leave a room.
    public func socketsLeave(_ room: String) async {
        for socket in await fetchSockets() { await socket.leave(room) }
    }

    /// Disconnects the target's sockets.
    public func disconnectSockets(close: Bool = false) async {
        for socket in await fetchSockets() { socket.disconnect(close: close) }
    }
}

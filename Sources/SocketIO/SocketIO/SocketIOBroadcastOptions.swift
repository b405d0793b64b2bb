/// Who a broadcast reaches: sockets in any of `rooms` (all sockets when empty), minus those in any of `except`.
public struct SocketIOBroadcastOptions: Sendable, Hashable {
    public var rooms: Set<String>
    public var except: Set<String>
    /// Volatile packets are dropped for clients that are behind instead of queued.
    public var isVolatile: Bool

    public init(rooms: Set<String> = [], except: Set<String> = [], isVolatile: Bool = false) {
        self.rooms = rooms
        self.except = except
        self.isVolatile = isVolatile
    }
}

/// One event of a multi-target emit (``SocketIONamespace/emit(_:each:)``): its arguments and who they go to.
public struct SocketIOEmission: Sendable {
    /// The target: sockets in any of its rooms minus those in its exceptions. Empty rooms mean nobody here,
    /// not everyone: a multi-target emit addresses rooms.
    public var options: SocketIOBroadcastOptions
    /// The event's arguments (after its name).
    public var arguments: [JSONValue]

    public init(rooms: Set<String>, except: Set<String> = [], arguments: [JSONValue]) {
        self.options = SocketIOBroadcastOptions(rooms: rooms, except: except)
        self.arguments = arguments
    }
}

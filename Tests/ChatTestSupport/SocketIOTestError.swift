/// The server did not answer as a Socket.IO server should, or not in time.
public struct SocketIOTestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Why a socket left its namespace. Names match the reference server's reasons.
public struct SocketIODisconnectReason: Sendable, Hashable, CustomStringConvertible {
    public let name: String

    public init(_ name: String) { self.name = name }

    public var description: String { name }

    /// The server called `disconnect()` on the socket.
    public static let serverNamespaceDisconnect = SocketIODisconnectReason("server namespace disconnect")
    /// The client left the namespace (DISCONNECT packet).
    public static let clientNamespaceDisconnect = SocketIODisconnectReason("client namespace disconnect")
    /// The server is shutting down.
    public static let serverShuttingDown = SocketIODisconnectReason("server shutting down")
    /// The client stopped answering pings.
    public static let pingTimeout = SocketIODisconnectReason("ping timeout")
    /// The client closed the connection.
    public static let transportClose = SocketIODisconnectReason("transport close")
    /// The connection failed.
    public static let transportError = SocketIODisconnectReason("transport error")
    /// The client sent a malformed or illegal packet.
    public static let parseError = SocketIODisconnectReason("parse error")
    /// The server closed the whole connection (`disconnect(close: true)`).
    public static let forcedServerClose = SocketIODisconnectReason("forced server close")
    /// The client did not read fast enough and its outbound buffer filled up.
    public static let outboundBufferFull = SocketIODisconnectReason("outbound buffer full")

    init(engineReason: EngineIOCloseReason) {
        switch engineReason {
        case .forcedClose: self = .forcedServerClose
        case .serverShutdown: self = .serverShuttingDown
        default: self.init(engineReason.name)
        }
    }
}

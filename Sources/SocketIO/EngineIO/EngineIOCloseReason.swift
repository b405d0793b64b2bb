/// Why an Engine.IO session ended.
public struct EngineIOCloseReason: Sendable, Hashable, CustomStringConvertible {
    /// The wire-compatible name, as the reference server reports it (e.g. `"ping timeout"`).
    public let name: String

    public init(_ name: String) { self.name = name }

    public var description: String { name }

    /// The server closed the session (application request).
    public static let forcedClose = EngineIOCloseReason("forced close")
    /// The client sent no pong within `pingTimeout`.
    public static let pingTimeout = EngineIOCloseReason("ping timeout")
    /// The client closed the connection, or sent a close packet.
    public static let transportClose = EngineIOCloseReason("transport close")
    /// The transport failed (overlapping polling requests, a failed write, an oversize message).
    public static let transportError = EngineIOCloseReason("transport error")
    /// The client sent a packet that could not be decoded.
    public static let parseError = EngineIOCloseReason("parse error")
    /// The client stopped reading and its outbound buffer reached `maxOutboundBufferSize`.
    public static let outboundBufferFull = EngineIOCloseReason("outbound buffer full")
    /// The server is shutting down.
    public static let serverShutdown = EngineIOCloseReason("server shutting down")
}

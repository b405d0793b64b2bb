import Foundation

/// An event received from a client.
public struct SocketIOEvent: Sendable {
    /// The event name (the first element of the EVENT array).
    public let name: String
    /// The arguments after the name; binary attachments appear as `.binary`.
    public let arguments: [JSONValue]
    /// Present when the client asked for an acknowledgement.
    public let ack: SocketIOAck?
    /// The socket that sent the event.
    public let socket: SocketIOSocket

    /// The first argument, or `nil`.
    public var payload: JSONValue? { arguments.first }

    /// Decodes the argument at `index` (the first by default) into `T`, reading its tree directly
    /// (``JSONValue/decode(as:)``).
    ///
    /// - Throws: `SocketIOError.missingArgument` if there is no such argument, or a `DecodingError`.
    public func decode<T: Decodable>(_ type: T.Type = T.self, at index: Int = 0) throws -> T {
        guard arguments.indices.contains(index) else { throw SocketIOError.missingArgument(index: index) }
        return try arguments[index].decode(as: T.self)
    }

    /// Decodes the argument at `index` (the first by default) into `T` with `decoder`, for a caller that needs its
    /// strategies (``JSONValue/decode(as:decoder:)``).
    ///
    /// - Throws: `SocketIOError.missingArgument` if there is no such argument, or the decoder's error.
    public func decode<T: Decodable>(_ type: T.Type = T.self, at index: Int = 0, decoder: JSONDecoder) throws -> T {
        guard arguments.indices.contains(index) else { throw SocketIOError.missingArgument(index: index) }
        return try arguments[index].decode(as: T.self, decoder: decoder)
    }
}

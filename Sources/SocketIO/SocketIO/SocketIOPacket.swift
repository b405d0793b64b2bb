/// A Socket.IO v5 packet with its binary attachments already merged into `data`.
///
/// Decoding reassembles BINARY_EVENT / BINARY_ACK (placeholders replaced by the attachments that
/// followed) and reports them as `.event` / `.ack`; encoding turns `.binary` values back into
/// placeholders plus attachments.
public struct SocketIOPacket: Sendable, Hashable {
    public var type: SocketIOPacketType
    /// Namespace, `/` by default.
    public var namespace: String
    /// Acknowledgement id, for an event that wants an ack or for the ack itself.
    public var id: Int?
    /// JSON payload: the auth object of a CONNECT, the arguments of an EVENT/ACK, the error of a CONNECT_ERROR.
    public var data: JSONValue?

    public init(type: SocketIOPacketType, namespace: String = "/", id: Int? = nil, data: JSONValue? = nil) {
        self.type = type
        self.namespace = namespace
        self.id = id
        self.data = data
    }
}

import NIOCore
import Synchronization

/// The acknowledgement callback of an event the client emitted with an ack.
///
/// Call it once; later calls are ignored, as in the reference implementation.
public final class SocketIOAck: Sendable {
    private let socket: SocketIOSocket
    private let id: Int
    private let sent = Atomic<Bool>(false)

    init(socket: SocketIOSocket, id: Int) {
        self.socket = socket
        self.id = id
    }

    /// Whether the ack has been sent.
    public var isSent: Bool { sent.load(ordering: .relaxed) }

    /// Answers the client with these arguments.
    public func callAsFunction(_ arguments: JSONValue...) {
        send(arguments: arguments)
    }

    /// Answers the client with these arguments.
    public func send(arguments: [JSONValue]) {
        guard !sent.exchange(true, ordering: .acquiringAndReleasing) else { return }
        socket.sendPacket(SocketIOPacket(type: .ack, namespace: socket.namespace.name, id: id, data: .array(arguments)))
    }

    /// Answers the client with one `Encodable` value.
    public func send(_ value: some Encodable) throws {
        send(arguments: [try JSONValue(encoding: value)])
    }
}

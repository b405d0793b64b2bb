import NIOCore
import Synchronization

/// The acknowledgement callback of an event the client emitted with an ack.
///
/// Call it once; later calls are ignored, as in the reference implementation.
///
/// A handler may return before it answers (``answerLater()``), so that the connection's next events run while the
/// answer is being worked out; a server that drains still waits for such answers before it closes the connection.
public final class SocketIOAck: Sendable {
    private let socket: SocketIOSocket
    private let id: Int
    private let sent = Atomic<Bool>(false)
    private let deferred = Atomic<Bool>(false)

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
        if deferred.load(ordering: .acquiring) { socket.client.deferredAnswerSent() }
    }

    /// Declares that this ack is answered after the handler returns: the connection's next events then run without
    /// waiting for it, and a server that drains (``SocketIOServer``'s shutdown) waits for the answer before it closes
    /// the connection. Call it before the handler returns, and answer it exactly once in every case.
    public func answerLater() {
        guard !sent.load(ordering: .acquiring), !deferred.exchange(true, ordering: .acquiringAndReleasing) else { return }
        socket.client.deferredAnswerStarted()
    }

    /// Answers the client with one `Encodable` value.
    public func send(_ value: some Encodable) throws {
        send(arguments: [try JSONValue(encoding: value)])
    }
}

/// Where connection state recovery keeps what a reconnecting client needs: the sessions of sockets that dropped,
/// and the events emitted to rooms, each with its offset.
///
/// The in-memory ``SocketIOMemoryRecoveryStore`` serves one process. A store shared by several processes (a
/// database) implements the same calls, so that a client recovers on any node, even after its own node died. Every
/// method may fail (a lost database connection, say): the server then delivers the event without an offset, or
/// treats the reconnecting client as a new one, and never loses the connection for it.
///
/// The server calls ``append(_:to:)`` for one namespace at a time, in the order the events are delivered on this
/// node, and delivers each event only after its offset came back; ``missedEvents(of:after:)`` is called under the
/// same ordering, so an event is either in the answer or delivered to the socket live, never neither nor both.
public protocol SocketIORecoveryStore: Sendable {
    /// Records an event emitted to `target`; returns its offset, which the server appends to the event's arguments
    /// (the client sends the last one it saw when it reconnects). `packet` is the event without the offset.
    func append(_ packet: SocketIOPacket, to target: SocketIOBroadcastOptions) async throws -> String

    /// Records several events, in order, as consecutive calls of ``append(_:to:)`` would; returns their offsets in
    /// the same order. A store may do it in one step (one lock, one write); if it throws, none of the events counts
    /// as recorded (the server delivers them all without offsets).
    func append(_ events: [(packet: SocketIOPacket, target: SocketIOBroadcastOptions)]) async throws -> [String]

    /// The offset of the newest event recorded so far, or nil when there is none: a socket connecting now missed
    /// nothing up to it.
    func latestOffset() async throws -> String?

    /// Keeps the session of a socket that dropped for a transient reason, until it is taken or expires.
    func persist(_ session: SocketIOPersistedSession) async throws

    /// Removes and returns the live (unexpired) session with this private id in `namespace`, or nil.
    func takeSession(pid: String, namespace: String) async throws -> SocketIOPersistedSession?

    /// The events recorded after `offset` (or after `session.baseOffset` if that is later, or `offset` is nil) that
    /// were addressed to the session's rooms, oldest first, each with its offset as last argument; nil when they can
    /// no longer all be told (the offset is unknown or too old, or there are more than the store keeps per session).
    func missedEvents(of session: SocketIOPersistedSession, after offset: String?) async throws -> [SocketIOPacket]?

    /// A socket connected (new, or recovered) with this session: a store shared by processes keeps it from now on,
    /// since a process that dies (`kill -9`) runs no disconnect handling and could not keep it then.
    /// ``SocketIOPersistedSession/disconnectedAt`` is meaningless here.
    func opened(_ session: SocketIOPersistedSession) async throws

    /// The socket with this private id left for good (it disconnected itself, or the server disconnected it): its
    /// session is not kept.
    func closed(pid: String, namespace: String) async throws
}

extension SocketIORecoveryStore {
    /// One ``append(_:to:)`` after the other.
    public func append(_ events: [(packet: SocketIOPacket, target: SocketIOBroadcastOptions)]) async throws -> [String] {
        var offsets: [String] = []
        offsets.reserveCapacity(events.count)
        for event in events { offsets.append(try await append(event.packet, to: event.target)) }
        return offsets
    }

    /// A store of one process keeps a session only when its socket drops (``persist(_:)``).
    public func opened(_ session: SocketIOPersistedSession) async throws {}

    public func closed(pid: String, namespace: String) async throws {}
}

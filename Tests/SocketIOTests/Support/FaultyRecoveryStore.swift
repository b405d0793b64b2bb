import Synchronization

@testable import SocketIO

/// The in-memory recovery store with a switch that makes every call fail, as a database store would while its
/// database is unreachable.
final class FaultyRecoveryStore: SocketIORecoveryStore {
    struct Unreachable: Error {}

    let inner: SocketIOMemoryRecoveryStore
    private let failing = Mutex(false)

    init(configuration: SocketIORecoveryConfiguration) {
        inner = SocketIOMemoryRecoveryStore(configuration: configuration)
    }

    func fail(_ on: Bool) { failing.withLock { $0 = on } }

    private func check() throws { if failing.withLock({ $0 }) { throw Unreachable() } }

    func append(_ packet: SocketIOPacket, to target: SocketIOBroadcastOptions) async throws -> String {
        try check()
        return try await inner.append(packet, to: target)
    }

    func latestOffset() async throws -> String? {
        try check()
        return try await inner.latestOffset()
    }

    func persist(_ session: SocketIOPersistedSession) async throws {
        try check()
        try await inner.persist(session)
    }

    func takeSession(pid: String, namespace: String) async throws -> SocketIOPersistedSession? {
        try check()
        return try await inner.takeSession(pid: pid, namespace: namespace)
    }

    func missedEvents(of session: SocketIOPersistedSession, after offset: String?) async throws -> [SocketIOPacket]? {
        try check()
        return try await inner.missedEvents(of: session, after: offset)
    }
}

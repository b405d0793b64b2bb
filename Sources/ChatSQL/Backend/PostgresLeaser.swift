import PostgresNIO

/// Lends pooled PostgreSQL connections, asking the pool again for a lease that has waited ``reaskAfter``.
///
/// postgres-nio's pool (1.33) opens a replacement for a closed connection only to keep its configured minimum (zero
/// here), not for requests that wait (vapor/postgres-nio#657). So when every connection is leased, work is waiting,
/// and a leased connection dies (its session was terminated, the network dropped it) and the pool processes the
/// close before the dead connection's release, the waiting work is served only by the next release, or by a new
/// request that makes the pool open a connection. With nothing else in flight, or with the other connections held
/// long (the cluster's LISTEN holds one for good), it waits for ever. A new request is what makes the pool
/// reconsider, so a request that has waited ``reaskAfter`` is withdrawn and made again. While the pool is simply
/// busy, this only moves the waiting work to the back of the queue once per ``reaskAfter``.
struct PostgresLeaser: Sendable {
    let client: PostgresClient
    /// How long a lease request may wait before it is withdrawn and made again.
    let reaskAfter: Duration

    init(client: PostgresClient, reaskAfter: Duration = .seconds(1)) {
        self.client = client
        self.reaskAfter = reaskAfter
    }

    /// Runs `body` on a leased connection and returns its result. `body` runs at most once.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        while true {
            try Task.checkCancellation()
            if case .finished(let value) = try await attempt(body) { return value }
        }
    }

    private enum Attempt<T: Sendable>: Sendable {
        case finished(T)
        /// The request waited too long and was withdrawn before `body` ran.
        case withdrawn
    }

    /// One lease request, withdrawn after ``reaskAfter`` if no connection was lent by then.
    private func attempt<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> Attempt<T> {
        let claim = PostgresLeaseClaim()
        return try await withThrowingTaskGroup(of: Attempt<T>?.self) { group in
            group.addTask {
                do {
                    return try await client.withConnection { connection in
                        // Withdrawn just as the pool lent it: the connection goes straight back.
                        guard claim.start() else { return Attempt<T>.withdrawn }
                        return .finished(try await body(connection))
                    }
                } catch where claim.isWithdrawn {
                    return .withdrawn
                }
            }
            group.addTask { [reaskAfter] in
                // Throws only when the caller is cancelled, which then ends the whole attempt.
                try await Task.sleep(for: reaskAfter)
                return nil
            }
            while let next = try await group.next() {
                guard let outcome = next else {
                    // The timer: withdraw the request unless `body` already runs (then wait for it).
                    if claim.withdraw() { group.cancelAll() }
                    continue
                }
                group.cancelAll()
                return outcome
            }
            // Both children returned and neither was the lease: impossible, the lease child always returns.
            return .withdrawn
        }
    }
}

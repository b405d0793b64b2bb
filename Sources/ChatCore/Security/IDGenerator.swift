import Foundation
import Synchronization

/// Makes unique, roughly time-ordered 63-bit ids without asking the database, so inserts need no
/// dialect-specific "last insert id" round trip.
///
/// Layout: 41 bits of milliseconds since 2024-01-01, 10 bits of node id, 12 bits of a per-millisecond counter. A
/// single server picks its node bits at random; the nodes of a cluster lease unique ones from the database, so their
/// ids can never collide.
public final class IDGenerator: Sendable {
    private static let epochMillis: Int64 = 1_704_067_200_000
    private let node: Int64
    private let state = Mutex<(millis: Int64, counter: Int64)>((0, 0))

    public init() {
        self.node = Int64.random(in: 0..<1024)
    }

    /// A generator for node `node` (0–1023), leased by a cluster node.
    public init(node: Int) {
        precondition((0..<1024).contains(node), "node ids have 10 bits")
        self.node = Int64(node)
    }

    public func next() -> Int64 {
        let now = Int64(Date().timeIntervalSince1970 * 1000) - Self.epochMillis
        let (millis, counter) = state.withLock { state -> (Int64, Int64) in
            if now > state.millis {
                state = (now, 0)
            } else {
                state.counter += 1
                if state.counter >= 4096 {
                    // Counter exhausted within one millisecond: borrow the next millisecond rather than repeat.
                    state = (state.millis + 1, 0)
                }
            }
            return (state.millis, state.counter)
        }
        return (millis << 22) | (node << 12) | counter
    }
}

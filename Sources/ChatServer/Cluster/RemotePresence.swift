import Synchronization

/// Which users have sockets on the other live nodes, as those nodes announced on the bus (and as the presence table
/// said when this node started). Read synchronously by ``PresenceService/isOnline(_:)``.
final class RemotePresence: Sendable {
    private let byNode = Mutex<[Int: Set<Int64>]>([:])

    func replace(with snapshot: [Int: [Int64]]) {
        byNode.withLock { $0 = snapshot.mapValues(Set.init) }
    }

    func set(_ userID: Int64, online: Bool, on node: Int) {
        byNode.withLock { byNode in
            if online {
                byNode[node, default: []].insert(userID)
            } else {
                byNode[node]?.remove(userID)
            }
        }
    }

    /// Forgets a node that died or left.
    func remove(node: Int) {
        _ = byNode.withLock { $0.removeValue(forKey: node) }
    }

    func isOnline(_ userID: Int64) -> Bool {
        byNode.withLock { $0.values.contains { $0.contains(userID) } }
    }
}

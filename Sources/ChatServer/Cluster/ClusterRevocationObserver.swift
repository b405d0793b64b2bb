import ChatCore

/// Ends the sockets of revoked logins on this node at once, and on every other node through the bus.
struct ClusterRevocationObserver: SessionRevocationObserver {
    let local: any SessionRevocationObserver
    let node: ClusterNode

    func sessionsRevoked(_ sessionIDs: [Int64]) {
        local.sessionsRevoked(sessionIDs)
        guard !sessionIDs.isEmpty else { return }
        let node = node
        // Observers must return at once; the relay is one notification.
        Task { await node.publish(ClusterMessage(kind: .sessions, node: node.nodeID, sessions: sessionIDs)) }
    }
}

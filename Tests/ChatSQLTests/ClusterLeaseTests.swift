import ChatCore
import ChatSQL
import ChatTestSupport
import Foundation
import Testing

/// Node-id leases of a cluster on a real PostgreSQL (docs/scaling.md, "Unique ids" and "Presence across nodes"):
/// a lease belongs to one process, a dead one is reaped once, and a process that was only stalled past its lease
/// either takes its id back or learns that another process has it.
@Suite struct ClusterLeaseTests {
    static let lease: Duration = .seconds(10)

    /// Runs `body` with a prepared cluster store on a fresh PostgreSQL database.
    private func withCluster(_ body: (ClusterStore, SQLChatStore) async throws -> Void) async throws {
        try await TestBackend.postgres.withStore { store, backend in
            let cluster = ClusterStore(backend: try #require(backend as? PostgresBackend))
            try await cluster.prepare()
            try await body(cluster, store)
        }
    }

    @Test func onlyTheHolderRenewsItsLease() async throws {
        try await withCluster { cluster, _ in
            let node = try await cluster.acquireNodeID(lease: Self.lease, holder: 11)
            #expect(try await cluster.renew(nodeID: node, holder: 11, lease: Self.lease))
            #expect(try await cluster.renew(nodeID: node, holder: 12, lease: Self.lease) == false)
            // A live lease cannot be taken by another process.
            #expect(try await cluster.take(nodeID: node, holder: 12, lease: Self.lease) == false)
            #expect(try await cluster.expiredNodes().contains(node) == false)
        }
    }

    @Test func anExpiredLeaseIsReapedOnceAndItsLastUsersGoOffline() async throws {
        try await withCluster { cluster, store in
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let bob = try await store.insertUser(Fixtures.user("bob"))
            let dead = try await cluster.acquireNodeID(lease: Self.lease, holder: 21)
            let live = try await cluster.acquireNodeID(lease: .seconds(60), holder: 22)
            #expect(try await cluster.join(nodeID: dead, userID: alice.id))
            #expect(try await cluster.join(nodeID: dead, userID: bob.id))
            // Bob is on the live node too: he stays online when the dead node goes.
            #expect(try await cluster.join(nodeID: live, userID: bob.id) == false)
            let later = Date().addingTimeInterval(11)
            #expect(try await cluster.expiredNodes(now: later) == [dead])
            #expect(try await cluster.reap(nodeID: dead, now: later) == [alice.id])
            #expect(try await cluster.reap(nodeID: dead, now: later) == nil, "a second reaper gets nothing")
            // The reaped process finds out at its next heartbeat; nobody took the id, so it takes it back.
            #expect(try await cluster.renew(nodeID: dead, holder: 21, lease: Self.lease) == false)
            #expect(try await cluster.take(nodeID: dead, holder: 21, lease: Self.lease))
            #expect(try await cluster.renew(nodeID: dead, holder: 21, lease: Self.lease))
            // Its users are online again once it records them.
            #expect(try await cluster.join(nodeID: dead, userID: alice.id))
        }
    }

    @Test func aLeaseRenewedInTimeIsNotReaped() async throws {
        try await withCluster { cluster, store in
            let alice = try await store.insertUser(Fixtures.user("alice"))
            let node = try await cluster.acquireNodeID(lease: .milliseconds(200), holder: 31)
            _ = try await cluster.join(nodeID: node, userID: alice.id)
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await cluster.expiredNodes().contains(node), "the lease ran out")
            // A stalled node's late heartbeat still renews a lease nobody reaped yet; the reaper then finds it alive.
            #expect(try await cluster.renew(nodeID: node, holder: 31, lease: Self.lease))
            #expect(try await cluster.reap(nodeID: node) == nil)
            #expect(try await cluster.onlineElsewhere(than: node + 1)[node] == [alice.id])
        }
    }

    @Test func anIdTakenByAnotherProcessCannotBeTakenBack() async throws {
        try await withCluster { cluster, _ in
            let node = try await cluster.acquireNodeID(lease: .milliseconds(200), holder: 41)
            try await Task.sleep(for: .milliseconds(400))
            // A new process takes the expired id before the stalled one comes back.
            #expect(try await cluster.take(nodeID: node, holder: 42, lease: Self.lease))
            #expect(try await cluster.renew(nodeID: node, holder: 41, lease: Self.lease) == false)
            #expect(try await cluster.take(nodeID: node, holder: 41, lease: Self.lease) == false)
            #expect(try await cluster.renew(nodeID: node, holder: 42, lease: Self.lease))
        }
    }
}

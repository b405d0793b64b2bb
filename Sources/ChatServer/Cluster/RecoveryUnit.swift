/// One unit of a node's write-ahead delivery log (``ClusterRecoveryStore``): a batch of messages the node is about to
/// emit, or one conversation event. The ``MessageSequencer`` logs a unit, then emits its events with the unit set as
/// ``current``, so the recovery store can tell which logged item each event it records is.
struct RecoveryUnit: Sendable {
    /// The unit's place in this node's delivery order (1, 2, …).
    let position: Int64
    /// For a batch of messages: each message id's place in the batch (1, 2, …), the order it is emitted in.
    let ordinals: [Int64: Int]
    /// For a conversation event: its cluster-wide id (the same on every node that emits it).
    let eventID: Int64?

    /// The unit whose events the current task is emitting.
    @TaskLocal static var current: RecoveryUnit?
}

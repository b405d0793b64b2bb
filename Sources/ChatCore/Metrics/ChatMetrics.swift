import Metrics

/// The metrics ChatCore records, made once from one factory: the server's Prometheus registry in `chatone serve`,
/// nothing at all (`disabled`) where nobody scrapes (tools, most tests).
///
/// The instruments are made here, up front, so that recording on a hot path (every stored message) is an atomic
/// add, never a lookup. Labels are fixed names chosen by the code (a limit's name), never user data. The names are
/// listed in docs/operations.md.
public struct ChatMetrics: Sendable {
    /// Where every instrument comes from; the transports make theirs from the same one.
    public let factory: any MetricsFactory
    /// Messages stored (new ones only; an idempotent resend stores nothing).
    let messagesStored: Counter
    /// Drafts per append transaction (group commit).
    let appendBatchSize: Recorder
    /// One append transaction, from its start to its commit (synced).
    let appendCommit: Timer
    /// From a send reaching the append queue to its hand-off to the audience's connections.
    let deliveryLatency: Timer

    public init(factory: any MetricsFactory) {
        self.factory = factory
        messagesStored = Counter(label: "chatone_messages_stored_total", factory: factory)
        appendBatchSize = Recorder(label: "chatone_append_batch_size", aggregate: true, factory: factory)
        appendCommit = Timer(label: "chatone_append_commit_duration_seconds", factory: factory)
        deliveryLatency = Timer(label: "chatone_message_delivery_latency_seconds", factory: factory)
    }

    /// Records nothing.
    public static let disabled = ChatMetrics(factory: NOOPMetricsHandler.instance)

    /// Callers of the connection pool `pool` that had to wait for a connection, and for how long
    /// (`chatone_db_pool_waits_total`, `chatone_db_pool_wait_duration_seconds`).
    public func poolWaits(_ pool: String) -> PoolWaits {
        PoolWaits(
            count: Counter(label: "chatone_db_pool_waits_total", dimensions: [("pool", pool)], factory: factory),
            duration: Timer(label: "chatone_db_pool_wait_duration_seconds", dimensions: [("pool", pool)], factory: factory))
    }

    /// The two instruments of one pool's waits.
    public struct PoolWaits: Sendable {
        let count: Counter
        let duration: Timer

        /// One caller waited `duration` for a connection.
        public func record(_ duration: Duration) {
            count.increment()
            self.duration.record(duration: duration)
        }
    }

    /// bcrypt hashes and verifications run (`chatone_bcrypt_operations_total`): a storm refused by a limit must not
    /// move it, which is how an operator (and the abuse test) tells refused work from work done.
    public func bcryptOperations() -> Counter {
        Counter(label: "chatone_bcrypt_operations_total", factory: factory)
    }

    /// bcrypt jobs run again on the nice-10 rescue thread because the core had no spare time for them
    /// (`chatone_bcrypt_rescues_total`, see ``SpareTimePool``): a node whose core stays saturated.
    public func bcryptRescues() -> Counter {
        Counter(label: "chatone_bcrypt_rescues_total", factory: factory)
    }

    /// Requests refused by the rate limit called `limit` (a fixed name such as `messages_per_user`).
    public func rateLimitRejections(_ limit: String) -> Counter {
        Counter(label: "chatone_rate_limited_total", dimensions: [("limit", limit)], factory: factory)
    }
}

import Metrics
import Synchronization

/// Token buckets per key (a user id, a client address, a username), in memory.
///
/// A `Mutex` rather than an actor: every socket event and login passes here, and an uncontended lock is far
/// cheaper than an actor hop. Memory is bounded: buckets that have refilled completely carry no information and
/// are dropped when the table grows past `maxKeys`; if it is still full after that, the fullest half goes (a
/// key that was dropped starts again with a full bucket, which errs towards letting real users in).
public final class RateLimiter: Sendable {
    /// The limit this limiter applies to every key; `nil` allows everything.
    public let limit: RateLimit?
    private let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Counts refusals (`chatone_rate_limited_total{limit=…}`).
    private let rejections: Counter?

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    public init(_ limit: RateLimit?, maxKeys: Int = 100_000, rejections: Counter? = nil) {
        self.limit = limit
        self.maxKeys = maxKeys
        self.rejections = rejections
    }

    /// Takes one token for `key`. Returns `nil` when allowed, or how many whole seconds to wait otherwise.
    public func acquire(_ key: String, now: ContinuousClock.Instant = .now) -> Int? {
        guard let limit else { return nil }
        let capacity = Double(limit.burst)
        let rate = limit.refillPerSecond
        let wait = buckets.withLock { buckets -> Int? in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + rate * Self.seconds(now - bucket.updated))
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            if buckets.count > maxKeys { Self.prune(&buckets, capacity: capacity, rate: rate, now: now, keep: maxKeys / 2) }
            return nil
        }
        if wait != nil { rejections?.increment() }
        return wait
    }

    /// Gives back a token taken by ``acquire(_:now:)`` (e.g. a login that turned out to be right).
    public func refund(_ key: String) {
        guard let limit else { return }
        buckets.withLock { buckets in
            guard var bucket = buckets[key] else { return }
            bucket.tokens = min(Double(limit.burst), bucket.tokens + 1)
            buckets[key] = bucket
        }
    }

    /// Throws ``ChatError/rateLimited(retryAfterSeconds:)`` when `key` has no token left.
    public func check(_ key: String) throws(ChatError) {
        if let wait = acquire(key) { throw .rateLimited(retryAfterSeconds: wait) }
    }

    /// Number of keys tracked now (for tests and metrics).
    public var trackedKeys: Int { buckets.withLock { $0.count } }

    private static func prune(_ buckets: inout [String: Bucket], capacity: Double, rate: Double, now: ContinuousClock.Instant, keep: Int) {
        buckets = buckets.filter { $0.value.tokens + rate * seconds(now - $0.value.updated) < capacity }
        guard buckets.count > keep else { return }
        // Still too many live buckets: keep the emptiest, the ones actually holding someone back.
        let sorted = buckets.sorted { $0.value.tokens < $1.value.tokens }.prefix(keep)
        buckets = Dictionary(uniqueKeysWithValues: sorted.map { ($0.key, $0.value) })
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return max(0, Double(seconds) + Double(attoseconds) / 1e18)
    }
}

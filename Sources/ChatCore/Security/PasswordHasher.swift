import HummingbirdBcrypt
import Metrics

/// Hashes and verifies passwords with bcrypt on a thread pool of its own.
///
/// bcrypt is deliberately slow (about a quarter of a second at cost 12), so it must never run on an event loop,
/// and it gets its own pool so that a burst of logins cannot starve database calls queued on the shared pool. The
/// pool runs it in the core's spare time (``SpareTimePool``), so a login storm does not slow messaging.
public struct PasswordHasher: Sendable {
    public let cost: UInt8
    private let pool: SpareTimePool
    private let admission: WorkAdmission
    private let operations: Counter
    /// A hash of a random password, verified against when the username is unknown, so that unknown users and
    /// wrong passwords take the same time.
    private let dummyHash: String

    /// - Parameter maxQueued: most hashes running or waiting at once; beyond it a call fails at once with
    ///   ``ChatError/rateLimited(retryAfterSeconds:)`` rather than making everyone wait longer.
    /// - Parameter metrics: refusals are counted as `chatone_rate_limited_total{limit="bcrypt_queue"}`.
    public init(cost: UInt8, pool: SpareTimePool, maxQueued: Int = 64, metrics: ChatMetrics = .disabled) {
        self.cost = cost
        self.pool = pool
        self.admission = WorkAdmission(limit: maxQueued, refusals: metrics.rateLimitRejections("bcrypt_queue"))
        self.operations = metrics.bcryptOperations()
        self.dummyHash = Bcrypt.hash(SecureRandom.token(byteCount: 16), cost: cost)
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await admission.run {
            operations.increment()
            return try await pool.run { Bcrypt.hash(password, cost: cost) }
        }
    }

    /// Hashes running or waiting now.
    public var queued: Int { admission.inFlight }

    /// Verifies `password` against `hash`, or against a dummy hash when there is no user, to keep timing equal.
    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let target = hash ?? dummyHash
        let matches = try await admission.run {
            operations.increment()
            return try await pool.run { Bcrypt.verify(password, hash: target) }
        }
        return matches && hash != nil
    }
}

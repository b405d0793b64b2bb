import Metrics
import Synchronization

/// Admits at most `limit` jobs at a time into a slow pool and refuses the rest at once.
///
/// bcrypt at cost 12 costs about a quarter of a second of CPU; a login storm that queued without bound would
/// make every real login wait behind it. A full queue is answered "try again shortly" instead.
final class WorkAdmission: Sendable {
    let limit: Int
    private let admitted = Atomic<Int>(0)
    private let refusals: Counter?

    init(limit: Int, refusals: Counter? = nil) {
        self.limit = max(1, limit)
        self.refusals = refusals
    }

    /// Jobs running or queued now.
    var inFlight: Int { admitted.load(ordering: .relaxed) }

    /// Runs `job` if fewer than `limit` are admitted, else throws ``ChatError/rateLimited(retryAfterSeconds:)``.
    func run<T: Sendable>(_ job: () async throws -> T) async throws -> T {
        let (_, now) = admitted.wrappingAdd(1, ordering: .acquiringAndReleasing)
        defer { admitted.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        guard now <= limit else {
            refusals?.increment()
            throw ChatError.rateLimited(retryAfterSeconds: 1)
        }
        return try await job()
    }
}

import Synchronization

/// Where the ``AuthService`` reports revocations: an observer slot set once the transports exist.
///
/// Revocations reported before an observer is set reach nobody, which is right: there are no sockets yet.
public final class SessionRevocations: Sendable {
    private let observer = Mutex<(any SessionRevocationObserver)?>(nil)

    public init() {}

    /// Sets who hears about revocations (replacing any earlier observer).
    public func setObserver(_ observer: any SessionRevocationObserver) {
        self.observer.withLock { $0 = observer }
    }

    func report(_ sessionIDs: [Int64]) {
        guard !sessionIDs.isEmpty, let observer = observer.withLock({ $0 }) else { return }
        observer.sessionsRevoked(sessionIDs)
    }
}

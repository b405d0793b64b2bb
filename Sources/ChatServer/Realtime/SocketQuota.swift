import Synchronization

/// How many sockets each user has, capped: one user opening hundreds of sockets would hold memory for each and
/// get a copy of every emit in each.
///
/// A place is held by a ``Ticket``. The ticket gives its place back when released explicitly (on disconnect)
/// or, failing that, when it is deallocated with the socket that holds it, so a socket that never completes its
/// connection cannot leak a place.
final class SocketQuota: Sendable {
    let limitPerUser: Int
    private let counts = Mutex<[Int64: Int]>([:])

    init(limitPerUser: Int) {
        self.limitPerUser = limitPerUser
    }

    /// A place for one more socket of `userID`, or nil when the user is at the limit.
    func reserve(userID: Int64) -> Ticket? {
        let granted = counts.withLock { counts -> Bool in
            let current = counts[userID, default: 0]
            guard current < limitPerUser else { return false }
            counts[userID] = current + 1
            return true
        }
        return granted ? Ticket(quota: self, userID: userID) : nil
    }

    fileprivate func release(userID: Int64) {
        counts.withLock { counts in
            let remaining = counts[userID, default: 1] - 1
            counts[userID] = remaining > 0 ? remaining : nil
        }
    }

    /// One socket's place in the quota.
    final class Ticket: Sendable {
        private let quota: SocketQuota
        private let userID: Int64
        private let released = Atomic<Bool>(false)

        fileprivate init(quota: SocketQuota, userID: Int64) {
            self.quota = quota
            self.userID = userID
        }

        /// Gives the place back; later calls do nothing.
        func release() {
            guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            quota.release(userID: userID)
        }

        deinit {
            release()
        }
    }
}

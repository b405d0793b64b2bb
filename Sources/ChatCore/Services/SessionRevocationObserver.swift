/// Told about every login the ``AuthService`` revokes, after the revocation is committed.
///
/// The real-time layer implements it to disconnect the sockets of those logins; ChatCore itself knows nothing
/// of sockets. Implementations must return quickly (hand slow work to a task): the revoking request waits.
public protocol SessionRevocationObserver: Sendable {
    func sessionsRevoked(_ sessionIDs: [Int64])
}

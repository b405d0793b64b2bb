import Foundation
import Logging

/// Registration, login, refresh-token rotation, logout, access-token checks, and the caller's own logins
/// (list, revoke, revoke all others, change password).
///
/// Every revocation is reported to ``revocations`` once it is committed, so that the transports can end what
/// the login still holds open (its sockets).
public struct AuthService: Sendable {
    private let store: any ChatStore
    private let hasher: PasswordHasher
    private let signer: AccessTokenSigner
    private let refreshTokenTTL: TimeInterval
    private let ids: IDGenerator
    private let logger: Logger
    private let limits: RateLimits
    /// Where committed revocations are reported; the real-time layer observes it.
    public let revocations: SessionRevocations
    /// Logins known live, so that checking a token needs no database read; nil reads the store every time.
    private let liveSessions: LiveSessionCache?

    /// - Parameter liveSessions: only where this process makes every revocation of the store's logins (a single
    ///   node): a revocation made elsewhere would not reach it at once.
    public init(
        store: any ChatStore, hasher: PasswordHasher, signer: AccessTokenSigner, refreshTokenTTL: TimeInterval, ids: IDGenerator,
        logger: Logger, limits: RateLimits = .unlimited, revocations: SessionRevocations = SessionRevocations(),
        liveSessions: LiveSessionCache? = nil
    ) {
        self.liveSessions = liveSessions
        self.limits = limits
        self.revocations = revocations
        self.store = store
        self.hasher = hasher
        self.signer = signer
        self.refreshTokenTTL = refreshTokenTTL
        self.ids = ids
        self.logger = logger
    }

    /// - Parameters:
    ///   - address: the client's address, for the per-address limit (nil when unknown, e.g. in tests).
    ///   - userAgent: the client's User-Agent header, shown in the sessions list (stored cut to 256 code points).
    public func register(
        username: String, password: String, displayName: String?, from address: String? = nil, userAgent: String? = nil
    ) async throws -> AuthResult {
        if let address { try limits.registerPerAddress.check(address) }
        let username = try Validator.username(username)
        let password = try Validator.password(password)
        let displayName = try Validator.displayName(displayName, default: username)
        let hash = try await hasher.hash(password)
        let user = try await store.insertUser(
            NewUser(id: ids.next(), username: username, displayName: displayName, passwordHash: hash, createdAt: Date()))
        logger.info("user registered", metadata: ["user.id": "\(user.id)"])
        return try await startSession(for: user, userAgent: userAgent)
    }

    /// Unknown usernames and wrong passwords get the same error after the same bcrypt work.
    ///
    /// Limited per client address (every attempt) and per username (failures only: a right password gives its
    /// token back), both before any bcrypt work.
    public func login(username: String, password: String, from address: String? = nil, userAgent: String? = nil) async throws -> AuthResult {
        if let address { try limits.loginPerAddress.check(address) }
        let usernameKey = (try? Validator.username(username))?.lowercased()
        if let usernameKey { try limits.loginFailuresPerUsername.check(usernameKey) }
        // bcrypt ignores bytes past 72 and after a NUL, so such a password could otherwise match a shorter stored one.
        let acceptable = Validator.isUsablePassword(password)
        let credentials = acceptable ? try await store.credentials(usernameKey: username.lowercased()) : nil
        let valid = try await hasher.verify(password, against: credentials?.passwordHash)
        guard valid, let user = credentials?.user else { throw ChatError.invalidCredentials }
        if let usernameKey { limits.loginFailuresPerUsername.refund(usernameKey) }
        return try await startSession(for: user, userAgent: userAgent)
    }

    /// Exchanges a refresh token for a new pair. Presenting a token that was already exchanged means it leaked
    /// (or a client raced itself): the whole login is revoked.
    public func refresh(refreshToken: String, from address: String? = nil) async throws -> AuthResult {
        if let address { try limits.refreshPerAddress.check(address) }
        let now = Date()
        let record = try await validRefreshToken(refreshToken, now: now)
        guard let user = try await store.user(id: record.userID) else { throw ChatError.unauthorized("invalid refresh token") }
        let (token, replacement) = newRefreshToken(sessionID: record.sessionID, userID: user.id, now: now)
        guard try await store.rotateRefreshToken(tokenID: record.id, replacement: replacement, at: now) else {
            try await revokeForReuse(record, now: now)
        }
        return try await result(user: user, sessionID: record.sessionID, refreshToken: token, now: now)
    }

    /// Revokes the login the refresh token belongs to.
    public func logout(refreshToken: String, from address: String? = nil) async throws {
        if let address { try limits.refreshPerAddress.check(address) }
        guard !refreshToken.isEmpty, let record = try await store.refreshToken(hash: SecureRandom.sha256Hex(refreshToken)) else {
            throw ChatError.unauthorized("invalid refresh token")
        }
        if try await store.revokeSession(id: record.sessionID, at: Date()) { didRevoke([record.sessionID]) }
    }

    // MARK: The caller's logins

    /// The caller's live logins, newest first. Logins whose refresh tokens have all expired are left out: nothing
    /// can use them any more.
    public func sessions(of caller: AccessTokenIdentity) async throws -> [AuthSession] {
        // The last refresh token was issued at about `lastUsedAt`, which moves once a minute at most.
        let oldestLive = Date().addingTimeInterval(-refreshTokenTTL - 60)
        return try await store.sessions(userID: caller.userID).filter { $0.lastUsedAt > oldestLive || $0.id == caller.sessionID }
    }

    /// Revokes one of the caller's own logins (the current one included). Any other id, and a login already
    /// revoked, is ``ChatError/notFound(_:)``: whether someone else's login exists is none of the caller's business.
    public func revokeSession(id: Int64, of caller: AccessTokenIdentity) async throws {
        guard let session = try await store.session(id: id), session.userID == caller.userID, session.revokedAt == nil,
            try await store.revokeSession(id: id, at: Date())
        else {
            throw ChatError.notFound("session not found")
        }
        logger.info("login revoked by its user", metadata: ["user.id": "\(caller.userID)", "session.id": "\(id)"])
        didRevoke([id])
    }

    /// Revokes every login of the caller except the one making the call. Returns how many it revoked.
    public func revokeOtherSessions(of caller: AccessTokenIdentity) async throws -> Int {
        let revoked = try await store.revokeSessions(userID: caller.userID, except: caller.sessionID, at: Date())
        logger.info("other logins revoked", metadata: ["user.id": "\(caller.userID)", "count": "\(revoked.count)"])
        didRevoke(revoked)
        return revoked.count
    }

    /// Changes the caller's password after checking the current one, and revokes every other login.
    ///
    /// A wrong current password is ``ChatError/invalidCredentials`` and counts against the per-username failure
    /// limit, like a failed login: a stolen access token must not become an unlimited password oracle.
    public func changePassword(of caller: AccessTokenIdentity, currentPassword: String, newPassword: String) async throws {
        let newPassword = try Validator.password(newPassword, field: "newPassword")
        guard let user = try await store.user(id: caller.userID) else { throw ChatError.unauthorized("access token revoked") }
        let usernameKey = user.username.lowercased()
        try limits.loginFailuresPerUsername.check(usernameKey)
        let credentials = Validator.isUsablePassword(currentPassword) ? try await store.credentials(usernameKey: usernameKey) : nil
        let stored = credentials?.user.id == caller.userID ? credentials?.passwordHash : nil
        guard try await hasher.verify(currentPassword, against: stored) else {
            logger.notice("password change with a wrong current password", metadata: ["user.id": "\(caller.userID)"])
            throw ChatError.invalidCredentials
        }
        limits.loginFailuresPerUsername.refund(usernameKey)
        let hash = try await hasher.hash(newPassword)
        let revoked = try await store.changePassword(userID: caller.userID, passwordHash: hash, keepingSession: caller.sessionID, at: Date())
        logger.info("password changed; other logins revoked", metadata: ["user.id": "\(caller.userID)", "count": "\(revoked.count)"])
        didRevoke(revoked)
    }

    /// The identity behind an access token, checking signature, expiry and that its login is still live.
    public func authenticate(accessToken: String) async throws -> AccessTokenIdentity {
        let identity = try await signer.verify(accessToken)
        guard let liveSessions else { return try await checkLive(identity) }
        if let userID = liveSessions.userID(ofLiveSession: identity.sessionID) {
            guard userID == identity.userID else { throw ChatError.unauthorized("access token revoked") }
            return identity
        }
        let ticket = liveSessions.ticket()
        let checked = try await checkLive(identity)
        liveSessions.remember(sessionID: identity.sessionID, userID: identity.userID, after: ticket)
        return checked
    }

    private func checkLive(_ identity: AccessTokenIdentity) async throws -> AccessTokenIdentity {
        guard let session = try await store.session(id: identity.sessionID), session.revokedAt == nil,
            session.userID == identity.userID
        else {
            throw ChatError.unauthorized("access token revoked")
        }
        return identity
    }

    /// Every committed revocation ends here: the cache forgets the logins before the transports hear of them (and
    /// before the revoking call returns), so their tokens fail at once.
    private func didRevoke(_ sessionIDs: [Int64]) {
        liveSessions?.invalidate(sessionIDs)
        revocations.report(sessionIDs)
    }

    private func validRefreshToken(_ token: String, now: Date) async throws -> RefreshTokenRecord {
        guard !token.isEmpty, let record = try await store.refreshToken(hash: SecureRandom.sha256Hex(token)) else {
            throw ChatError.unauthorized("invalid refresh token")
        }
        if record.usedAt != nil { try await revokeForReuse(record, now: now) }
        guard let session = try await store.session(id: record.sessionID), session.revokedAt == nil else {
            throw ChatError.unauthorized("refresh token revoked")
        }
        guard record.expiresAt > now else { throw ChatError.unauthorized("refresh token expired") }
        return record
    }

    private func revokeForReuse(_ record: RefreshTokenRecord, now: Date) async throws -> Never {
        if try await store.revokeSession(id: record.sessionID, at: now) { didRevoke([record.sessionID]) }
        logger.warning("refresh token reuse: login revoked", metadata: ["user.id": "\(record.userID)"])
        throw ChatError.unauthorized("refresh token already used; this login has been revoked")
    }

    private func startSession(for user: User, userAgent: String?) async throws -> AuthResult {
        let now = Date()
        let session = AuthSession(id: ids.next(), userID: user.id, createdAt: now, userAgent: AuthSession.storedUserAgent(userAgent))
        let (token, record) = newRefreshToken(sessionID: session.id, userID: user.id, now: now)
        try await store.createSession(session, firstToken: record)
        return try await result(user: user, sessionID: session.id, refreshToken: token, now: now)
    }

    private func newRefreshToken(sessionID: Int64, userID: Int64, now: Date) -> (String, RefreshTokenRecord) {
        let token = SecureRandom.token(byteCount: 32)
        let record = RefreshTokenRecord(
            id: ids.next(), sessionID: sessionID, userID: userID, tokenHash: SecureRandom.sha256Hex(token), createdAt: now,
            expiresAt: now.addingTimeInterval(refreshTokenTTL))
        return (token, record)
    }

    private func result(user: User, sessionID: Int64, refreshToken: String, now: Date) async throws -> AuthResult {
        let access = try await signer.sign(userID: user.id, sessionID: sessionID, now: now)
        return AuthResult(user: user, accessToken: access.token, refreshToken: refreshToken, expiresIn: Int(signer.timeToLive))
    }
}

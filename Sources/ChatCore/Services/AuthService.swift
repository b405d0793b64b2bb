import Foundation
import Logging

/// Registration, login, refresh-token rotation, logout and access-token checks.
public struct AuthService: Sendable {
    private let store: any ChatStore
    private let hasher: PasswordHasher
    private let signer: AccessTokenSigner
    private let refreshTokenTTL: TimeInterval
    private let ids: IDGenerator
    private let logger: Logger
    private let limits: RateLimits

    public init(
        store: any ChatStore, hasher: PasswordHasher, signer: AccessTokenSigner, refreshTokenTTL: TimeInterval, ids: IDGenerator,
        logger: Logger, limits: RateLimits = .unlimited
    ) {
        self.limits = limits
        self.store = store
        self.hasher = hasher
        self.signer = signer
        self.refreshTokenTTL = refreshTokenTTL
        self.ids = ids
        self.logger = logger
    }

    /// - Parameter address: the client's address, for the per-address limit (nil when unknown, e.g. in tests).
    public func register(username: String, password: String, displayName: String?, from address: String? = nil) async throws -> AuthResult {
        if let address { try limits.registerPerAddress.check(address) }
        let username = try Validator.username(username)
        let password = try Validator.password(password)
        let displayName = try Validator.displayName(displayName, default: username)
        let hash = try await hasher.hash(password)
        let user = try await store.insertUser(
            NewUser(id: ids.next(), username: username, displayName: displayName, passwordHash: hash, createdAt: Date()))
        logger.info("user registered", metadata: ["user.id": "\(user.id)"])
        return try await startSession(for: user)
    }

    /// Unknown usernames and wrong passwords get the same error after the same bcrypt work.
    ///
    /// Limited per client address (every attempt) and per username (failures only: a right password gives its
    /// token back), both before any bcrypt work.
    public func login(username: String, password: String, from address: String? = nil) async throws -> AuthResult {
        if let address { try limits.loginPerAddress.check(address) }
        let usernameKey = (try? Validator.username(username))?.lowercased()
        if let usernameKey { try limits.loginFailuresPerUsername.check(usernameKey) }
        // bcrypt ignores bytes past 72 and after a NUL, so such a password could otherwise match a shorter stored one.
        let acceptable = Validator.isUsablePassword(password)
        let credentials = acceptable ? try await store.credentials(usernameKey: username.lowercased()) : nil
        let valid = try await hasher.verify(password, against: credentials?.passwordHash)
        guard valid, let user = credentials?.user else { throw ChatError.invalidCredentials }
        if let usernameKey { limits.loginFailuresPerUsername.refund(usernameKey) }
        return try await startSession(for: user)
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
        try await store.revokeSession(id: record.sessionID, at: Date())
    }

    /// The identity behind an access token, checking signature, expiry and that its login is still live.
    public func authenticate(accessToken: String) async throws -> AccessTokenIdentity {
        let identity = try await signer.verify(accessToken)
        guard let session = try await store.session(id: identity.sessionID), session.revokedAt == nil,
            session.userID == identity.userID
        else {
            throw ChatError.unauthorized("access token revoked")
        }
        return identity
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
        try await store.revokeSession(id: record.sessionID, at: now)
        logger.warning("refresh token reuse: login revoked", metadata: ["user.id": "\(record.userID)"])
        throw ChatError.unauthorized("refresh token already used; this login has been revoked")
    }

    private func startSession(for user: User) async throws -> AuthResult {
        let now = Date()
        let session = AuthSession(id: ids.next(), userID: user.id, createdAt: now)
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

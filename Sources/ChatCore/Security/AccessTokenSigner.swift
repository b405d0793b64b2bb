import Foundation
import JWTKit

/// Signs and verifies HS256 access tokens.
public struct AccessTokenSigner: Sendable {
    /// jwt-kit traps on shorter HMAC keys in debug builds, and shorter secrets are guessable anyway.
    public static let minimumSecretBytes = 32

    private let keys: JWTKeyCollection
    public let timeToLive: TimeInterval

    /// Throws ``ChatError/validation(_:field:)`` when the secret is shorter than ``minimumSecretBytes``.
    public init(secret: String, timeToLive: TimeInterval) async throws {
        guard secret.utf8.count >= Self.minimumSecretBytes else {
            throw ChatError.validation(
                "the JWT secret must be at least \(Self.minimumSecretBytes) bytes", field: "CHATONE_JWT_SECRET")
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
        self.timeToLive = timeToLive
    }

    public func sign(userID: Int64, sessionID: Int64, now: Date) async throws -> (token: String, expiresAt: Date) {
        // Whole seconds: NumericDate allows fractions, but many client libraries expect integers.
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let expiresAt = now.addingTimeInterval(timeToLive)
        let claims = AccessTokenClaims(
            sub: .init(value: String(userID)), exp: .init(value: expiresAt), iat: .init(value: now),
            jti: .init(value: SecureRandom.token(byteCount: 16)), sid: String(sessionID))
        return (try await keys.sign(claims), expiresAt)
    }

    /// The identity in a valid, unexpired token; ``ChatError/unauthorized(_:)`` for anything else.
    public func verify(_ token: String) async throws -> AccessTokenIdentity {
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw ChatError.unauthorized("invalid or expired access token")
        }
        guard let userID = Int64(claims.sub.value), let sessionID = Int64(claims.sid) else {
            throw ChatError.unauthorized("invalid or expired access token")
        }
        return AccessTokenIdentity(userID: userID, sessionID: sessionID, expiresAt: claims.exp.value)
    }
}

import JWTKit

/// The access token's payload: `sub` is the user id, `sid` the login it belongs to, so that revoking a login
/// also stops its access tokens.
struct AccessTokenClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var jti: IDClaim
    var sid: String

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

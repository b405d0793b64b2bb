import ChatCore
import Hummingbird

/// `/api/v1/auth`: register, login, refresh, logout (public); me, the caller's logins, logout-all and the password
/// change (authenticated).
struct AuthController {
    let services: ChatServices

    struct RegisterBody: Decodable { var username: String; var password: String; var displayName: String? }
    struct LoginBody: Decodable { var username: String; var password: String }
    struct RefreshBody: Decodable { var refreshToken: String }
    struct PasswordBody: Decodable { var currentPassword: String; var newPassword: String }

    /// Routes open to anyone; every one of them is rate limited by client address in ``AuthService``.
    var publicRoutes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .post("register", use: register)
            .post("login", use: login)
            .post("refresh", use: refresh)
            .post("logout", use: logout)
    }

    /// Routes that need an access token (mounted behind ``AuthMiddleware``).
    var authenticatedRoutes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .get("me", use: me)
            .get("sessions", use: sessions)
            .delete("sessions/:sessionId", use: deleteSession)
            .post("logout-all", use: logoutAll)
            .post("password", use: changePassword)
    }

    @Sendable func register(_ request: Request, context: ChatRequestContext) async throws -> EditedResponse<SuccessEnvelope<APIAuthResult>> {
        let body = try await request.decode(as: RegisterBody.self, context: context)
        let result = try await services.auth.register(
            username: body.username, password: body.password, displayName: body.displayName, from: context.clientAddress,
            userAgent: request.headers[.userAgent])
        return SuccessEnvelope(apiResult(result)).status(.created)
    }

    @Sendable func login(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIAuthResult> {
        let body = try await request.decode(as: LoginBody.self, context: context)
        let result = try await services.auth.login(
            username: body.username, password: body.password, from: context.clientAddress, userAgent: request.headers[.userAgent])
        return SuccessEnvelope(apiResult(result))
    }

    @Sendable func refresh(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIAuthResult> {
        let body = try await request.decode(as: RefreshBody.self, context: context)
        return SuccessEnvelope(apiResult(try await services.auth.refresh(refreshToken: body.refreshToken, from: context.clientAddress)))
    }

    @Sendable func logout(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIEmpty> {
        let body = try await request.decode(as: RefreshBody.self, context: context)
        try await services.auth.logout(refreshToken: body.refreshToken, from: context.clientAddress)
        return SuccessEnvelope(APIEmpty())
    }

    @Sendable func me(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIUser> {
        let user = try await services.users.user(id: try context.callerID())
        return SuccessEnvelope(APIUser(user, online: services.isOnline(user.id)))
    }

    @Sendable func sessions(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<[APISession]> {
        let caller = try context.caller()
        let sessions = try await services.auth.sessions(of: caller)
        return SuccessEnvelope(sessions.map { APISession($0, currentSessionID: caller.sessionID) })
    }

    @Sendable func deleteSession(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIEmpty> {
        let caller = try context.caller()
        let id = try Validator.id(try context.parameters.require("sessionId"), resource: "session")
        try await services.auth.revokeSession(id: id, of: caller)
        return SuccessEnvelope(APIEmpty())
    }

    @Sendable func logoutAll(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIRevokedCount> {
        SuccessEnvelope(APIRevokedCount(revoked: try await services.auth.revokeOtherSessions(of: try context.caller())))
    }

    @Sendable func changePassword(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIEmpty> {
        let caller = try context.caller()
        let body = try await request.decode(as: PasswordBody.self, context: context)
        try await services.auth.changePassword(of: caller, currentPassword: body.currentPassword, newPassword: body.newPassword)
        return SuccessEnvelope(APIEmpty())
    }

    private func apiResult(_ result: AuthResult) -> APIAuthResult {
        APIAuthResult(
            user: APIUser(result.user, online: services.isOnline(result.user.id)), accessToken: result.accessToken,
            refreshToken: result.refreshToken, expiresIn: result.expiresIn)
    }
}

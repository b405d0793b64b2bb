import ChatCore
import Hummingbird

/// `/api/v1/auth`: register, login, refresh, logout (public) and me (authenticated).
struct AuthController {
    let services: ChatServices

    struct RegisterBody: Decodable { var username: String; var password: String; var displayName: String? }
    struct LoginBody: Decodable { var username: String; var password: String }
    struct RefreshBody: Decodable { var refreshToken: String }

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
    }

    @Sendable func register(_ request: Request, context: ChatRequestContext) async throws -> EditedResponse<SuccessEnvelope<APIAuthResult>> {
        let body = try await request.decode(as: RegisterBody.self, context: context)
        let result = try await services.auth.register(
            username: body.username, password: body.password, displayName: body.displayName, from: context.clientAddress)
        return SuccessEnvelope(apiResult(result)).status(.created)
    }

    @Sendable func login(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIAuthResult> {
        let body = try await request.decode(as: LoginBody.self, context: context)
        return SuccessEnvelope(apiResult(try await services.auth.login(username: body.username, password: body.password, from: context.clientAddress)))
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

    private func apiResult(_ result: AuthResult) -> APIAuthResult {
        APIAuthResult(
            user: APIUser(result.user, online: services.isOnline(result.user.id)), accessToken: result.accessToken,
            refreshToken: result.refreshToken, expiresIn: result.expiresIn)
    }
}

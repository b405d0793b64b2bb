import ChatCore
import Hummingbird

/// `/api/v1/auth`: register, login, refresh, logout (public) and me (authenticated).
struct AuthController {
    let services: ChatServices

    private struct RegisterBody: Decodable { var username: String; var password: String; var displayName: String? }
    private struct LoginBody: Decodable { var username: String; var password: String }
    private struct RefreshBody: Decodable { var refreshToken: String }

    func addPublicRoutes(to group: RouterGroup<ChatRequestContext>) {
        group.post("register") { request, context in
            let body = try await request.decodeJSON(RegisterBody.self, context: context)
            let result = try await services.auth.register(username: body.username, password: body.password, displayName: body.displayName)
            return try JSONResponse.success(apiResult(result), status: .created)
        }
        group.post("login") { request, context in
            let body = try await request.decodeJSON(LoginBody.self, context: context)
            return try JSONResponse.success(apiResult(try await services.auth.login(username: body.username, password: body.password)))
        }
        group.post("refresh") { request, context in
            let body = try await request.decodeJSON(RefreshBody.self, context: context)
            return try JSONResponse.success(apiResult(try await services.auth.refresh(refreshToken: body.refreshToken)))
        }
        group.post("logout") { request, context in
            let body = try await request.decodeJSON(RefreshBody.self, context: context)
            try await services.auth.logout(refreshToken: body.refreshToken)
            return try JSONResponse.success(APIEmpty())
        }
    }

    func addAuthenticatedRoutes(to group: RouterGroup<ChatRequestContext>) {
        group.get("me") { _, context in
            let user = try await services.users.user(id: try context.callerID())
            return try JSONResponse.success(APIUser(user, online: services.isOnline(user.id)))
        }
    }

    private func apiResult(_ result: AuthResult) -> APIAuthResult {
        APIAuthResult(
            user: APIUser(result.user, online: services.isOnline(result.user.id)), accessToken: result.accessToken,
            refreshToken: result.refreshToken, expiresIn: result.expiresIn)
    }
}

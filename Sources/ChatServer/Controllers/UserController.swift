import ChatCore
import Hummingbird

/// `/api/v1/users`: search and look up users.
struct UserController {
    let services: ChatServices

    func addRoutes(to group: RouterGroup<ChatRequestContext>) {
        group.get { request, context in
            _ = try context.callerID()
            let page = try await services.users.search(
                query: request.queryString("q"), cursor: request.queryString("cursor"), limit: try request.queryInt("limit"))
            return try JSONResponse.list(page.items.map { APIUser($0, online: services.isOnline($0.id)) }, hasMore: page.hasMore, nextCursor: page.nextCursor)
        }
        group.get(":userId") { _, context in
            _ = try context.callerID()
            let id = try Validator.id(try context.parameters.require("userId"), resource: "user")
            let user = try await services.users.user(id: id)
            return try JSONResponse.success(APIUser(user, online: services.isOnline(user.id)))
        }
    }
}

import ChatCore
import Hummingbird

/// `/api/v1/users`: search and look up users.
struct UserController {
    let services: ChatServices

    struct SearchQuery: Decodable { var q: String?; var cursor: String?; var limit: ClientInteger? }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .get(use: search)
            .get(":userId", use: user)
    }

    @Sendable func search(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<[APIUser]> {
        let caller = try context.callerID()
        let query = try request.query(SearchQuery.self)
        let page = try await services.users.search(query: query.q, cursor: query.cursor, limit: query.limit?.pageLimit)
        let hidden = try await services.hiddenPresence(viewerID: caller, among: page.items.map(\.id))
        return page.envelope { APIUser($0, online: services.isOnline($0.id), hidden: hidden.contains($0.id)) }
    }

    @Sendable func user(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIUser> {
        let caller = try context.callerID()
        let id = try Validator.id(try context.parameters.require("userId"), resource: "user")
        let user = try await services.users.user(id: id)
        let hidden = try await services.hiddenPresence(viewerID: caller, among: [user.id])
        return SuccessEnvelope(APIUser(user, online: services.isOnline(user.id), hidden: hidden.contains(user.id)))
    }
}

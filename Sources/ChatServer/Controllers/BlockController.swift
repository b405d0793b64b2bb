import ChatCore
import Hummingbird

/// `/api/v1/blocks`: the caller's blocks. Nobody else can read them.
struct BlockController {
    let services: ChatServices

    struct ListQuery: Decodable { var cursor: String?; var limit: ClientInteger? }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .get(use: list)
            .put(":userId", use: block)
            .delete(":userId", use: unblock)
    }

    /// The users the caller blocked, newest block first; they show as offline to the caller, as blocks make them.
    @Sendable func list(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<[APIUser]> {
        let caller = try context.callerID()
        let query = try request.query(ListQuery.self)
        let page = try await services.blocks.list(callerID: caller, cursor: query.cursor, limit: query.limit?.pageLimit)
        return page.envelope { APIUser($0.user, online: false, hidden: true) }
    }

    @Sendable func block(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIEmpty> {
        try await services.blocks.block(callerID: try context.callerID(), userID: try Self.userID(context))
        return SuccessEnvelope(APIEmpty())
    }

    @Sendable func unblock(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIEmpty> {
        try await services.blocks.unblock(callerID: try context.callerID(), userID: try Self.userID(context))
        return SuccessEnvelope(APIEmpty())
    }

    private static func userID(_ context: ChatRequestContext) throws -> Int64 {
        try Validator.id(try context.parameters.require("userId"), resource: "user")
    }
}

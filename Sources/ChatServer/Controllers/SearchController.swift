import ChatCore
import Hummingbird

/// `/api/v1/search/messages`: full-text search over the caller's conversations, newest first.
struct SearchController {
    let services: ChatServices

    struct Query: Decodable { var q: String?; var conversationId: String?; var cursor: String?; var limit: ClientInteger? }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .get("messages", use: messages)
    }

    @Sendable func messages(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<[APIMessage]> {
        let caller = try context.callerID()
        let query = try request.query(Query.self)
        let conversationID = try query.conversationId.map { try Validator.id($0, resource: "conversation") }
        let page = try await services.messages.search(
            callerID: caller, query: query.q, conversationID: conversationID, cursor: query.cursor, limit: query.limit?.pageLimit)
        return page.envelope(APIMessage.init)
    }
}

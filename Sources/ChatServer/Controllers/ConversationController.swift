import ChatCore
import Hummingbird

/// `/api/v1/conversations`: open, list and read conversations, and their messages.
struct ConversationController {
    let services: ChatServices

    private struct CreateBody: Decodable { var type: String; var userId: String?; var title: String?; var memberIds: [String]? }
    private struct SendBody: Decodable { var content: String; var clientMessageId: String? }
    private struct ReadBody: Decodable { var seq: Int64 }

    func addRoutes(to group: RouterGroup<ChatRequestContext>) {
        GroupController(services: services).addRoutes(to: group)
        group.get { request, context in
            let caller = try context.callerID()
            let page = try await services.conversations.list(
                callerID: caller, cursor: request.queryString("cursor"), limit: try request.queryInt("limit"))
            return try JSONResponse.list(page.items.map(api), hasMore: page.hasMore, nextCursor: page.nextCursor)
        }
        group.post { request, context in
            let caller = try context.callerID()
            let body = try await GroupController.decode(CreateBody.self, request, context, listField: "memberIds")
            if body.type == "group" {
                return try await GroupController(services: services).create(title: body.title, memberIds: body.memberIds, callerID: caller)
            }
            guard body.type == "direct" else { throw ChatError.validation("type must be \"direct\" or \"group\"", field: "type") }
            guard let userId = body.userId else { throw ChatError.validation("userId is required", field: "userId") }
            let other = try Validator.id(userId, resource: "user")
            let (view, created) = try await services.realtime.openDirect(callerID: caller, otherUserID: other)
            return try JSONResponse.success(api(view), status: created ? .created : .ok)
        }
        group.get(":conversationId") { _, context in
            let view = try await services.conversations.conversation(id: try conversationID(context), callerID: try context.callerID())
            return try JSONResponse.success(api(view))
        }
        group.get(":conversationId/messages") { request, context in
            let page = try await services.messages.history(
                callerID: try context.callerID(), conversationID: try conversationID(context),
                before: try request.queryInt("before").map(Int64.init), after: try request.queryInt("after").map(Int64.init),
                limit: try request.queryInt("limit"))
            return try JSONResponse.list(page.items.map(APIMessage.init), hasMore: page.hasMore, nextCursor: page.nextCursor)
        }
        group.post(":conversationId/messages") { request, context in
            let caller = try context.callerID()
            let id = try conversationID(context)
            let body = try await request.decodeJSON(SendBody.self, context: context)
            // Through the real-time hub, so the message reaches every live socket exactly as a socket send would.
            let outcome = try await services.realtime.send(
                callerID: caller, to: .conversation(id), content: body.content, clientMessageID: body.clientMessageId, fromSocket: nil)
            return try JSONResponse.success(APIMessage(outcome.message), status: outcome.isNew ? .created : .ok)
        }
        group.post(":conversationId/read") { request, context in
            let caller = try context.callerID()
            let id = try conversationID(context)
            let body = try await request.decodeJSON(ReadBody.self, context: context)
            let lastReadSeq = try await services.realtime.markRead(callerID: caller, conversationID: id, seq: body.seq)
            return try JSONResponse.success(APIReadState(conversationId: String(id), lastReadSeq: lastReadSeq))
        }
    }

    private func conversationID(_ context: ChatRequestContext) throws -> Int64 {
        try Validator.id(try context.parameters.require("conversationId"), resource: "conversation")
    }

    private func api(_ view: ConversationView) -> APIConversation {
        APIConversation(view, isOnline: services.isOnline)
    }
}

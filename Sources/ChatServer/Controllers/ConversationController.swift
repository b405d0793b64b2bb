import ChatCore
import Hummingbird

/// `/api/v1/conversations`: open, list and read conversations, and their messages. Group changes are the
/// ``GroupController``'s, mounted on the same path.
struct ConversationController {
    let services: ChatServices

    struct ListQuery: Decodable { var cursor: String?; var limit: ClientInteger? }
    struct HistoryQuery: Decodable { var before: ClientInteger?; var after: ClientInteger?; var limit: ClientInteger? }
    struct CreateBody: Decodable { var type: String; var userId: String?; var title: String?; var memberIds: [String]? }
    struct SendBody: Decodable { var content: String; var clientMessageId: String?; var replyToSeq: ClientInteger? }
    struct ReadBody: Decodable { var seq: ClientInteger }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .get(use: list)
            .post(use: create)
            .get(":conversationId", use: conversation)
            .get(":conversationId/messages", use: history)
            .post(":conversationId/messages", use: send)
            .post(":conversationId/read", use: read)
    }

    @Sendable func list(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<[APIConversation]> {
        let caller = try context.callerID()
        let query = try request.query(ListQuery.self)
        let page = try await services.conversations.list(callerID: caller, cursor: query.cursor, limit: query.limit?.pageLimit)
        let hidden = try await services.hiddenPresence(viewerID: caller, among: page.items.flatMap { $0.conversation.members.map(\.user.id) })
        return page.envelope { api($0, hidden: hidden) }
    }

    /// `type: "direct"` opens (or finds) the pair's conversation; `type: "group"` creates a group.
    @Sendable func create(_ request: Request, context: ChatRequestContext) async throws -> Response {
        let caller = try context.callerID()
        let body = try await request.decode(as: CreateBody.self, context: context)
        switch body.type {
        case "group":
            return try await GroupController(services: services).create(title: body.title, memberIds: body.memberIds, callerID: caller)
                .response(from: request, context: context)
        case "direct":
            guard let userId = body.userId else { throw ChatError.validation("userId is required", field: "userId") }
            let other = try Validator.id(userId, resource: "user")
            let (view, created) = try await services.realtime.openDirect(callerID: caller, otherUserID: other)
            return try SuccessEnvelope(try await api(view, viewer: caller)).status(created ? .created : .ok).response(from: request, context: context)
        default:
            throw ChatError.validation("type must be \"direct\" or \"group\"", field: "type")
        }
    }

    @Sendable func conversation(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIConversation> {
        let caller = try context.callerID()
        let view = try await services.conversations.conversation(id: try Self.conversationID(context), callerID: caller)
        return SuccessEnvelope(try await api(view, viewer: caller))
    }

    @Sendable func history(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<[APIMessage]> {
        let caller = try context.callerID()
        let id = try Self.conversationID(context)
        let query = try request.query(HistoryQuery.self)
        let page = try await services.messages.history(callerID: caller, conversationID: id, before: query.before?.value, after: query.after?.value, limit: query.limit?.pageLimit)
        return page.envelope(APIMessage.init)
    }

    @Sendable func send(_ request: Request, context: ChatRequestContext) async throws -> EditedResponse<SuccessEnvelope<APIMessage>> {
        let caller = try context.callerID()
        let id = try Self.conversationID(context)
        let body = try await request.decode(as: SendBody.self, context: context)
        // Through the real-time hub, so the message reaches every live socket exactly as a socket send would.
        let appended = try await services.realtime.send(
            callerID: caller, to: .conversation(id), content: body.content, clientMessageID: body.clientMessageId, replyToSeq: body.replyToSeq?.value,
            fromSocket: nil)
        return SuccessEnvelope(APIMessage(appended.message)).status(appended.outcome.isNew ? .created : .ok)
    }

    @Sendable func read(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIReadState> {
        let caller = try context.callerID()
        let id = try Self.conversationID(context)
        let body = try await request.decode(as: ReadBody.self, context: context)
        let lastReadSeq = try await services.realtime.markRead(callerID: caller, conversationID: id, seq: body.seq.value)
        return SuccessEnvelope(APIReadState(conversationId: String(id), lastReadSeq: lastReadSeq))
    }

    /// The `{conversationId}` path parameter; one that cannot be ours matches nothing (404).
    static func conversationID(_ context: ChatRequestContext) throws -> Int64 {
        try Validator.id(try context.parameters.require("conversationId"), resource: "conversation")
    }

    private func api(_ view: ConversationView, hidden: Set<Int64>) -> APIConversation {
        APIConversation(view, isOnline: services.isOnline, hidden: hidden)
    }

    /// The conversation as the viewer sees it, presence hidden across blocks.
    private func api(_ view: ConversationView, viewer: Int64) async throws -> APIConversation {
        let hidden = try await services.hiddenPresence(viewerID: viewer, among: view.conversation.members.map(\.user.id))
        return api(view, hidden: hidden)
    }
}

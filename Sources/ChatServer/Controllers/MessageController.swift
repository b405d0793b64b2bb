import ChatCore
import Foundation
import Hummingbird

/// `/api/v1/conversations/{id}/messages/{seq}`: edit, delete, react. The rules are the ``MessageService``'s; the
/// real-time events go out from the appender's delivery stage, in the conversation's order, before this answers.
struct MessageController {
    let services: ChatServices

    struct EditBody: Decodable { var content: String }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .patch(":conversationId/messages/:seq", use: edit)
            .delete(":conversationId/messages/:seq", use: delete)
            .put(":conversationId/messages/:seq/reactions/:emoji", use: addReaction)
            .delete(":conversationId/messages/:seq/reactions/:emoji", use: removeReaction)
    }

    @Sendable func edit(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIMessage> {
        let caller = try context.callerID()
        let (id, seq) = try Self.target(context)
        let body = try await request.decode(as: EditBody.self, context: context)
        let change = try await services.messages.edit(callerID: caller, conversationID: id, seq: seq, content: body.content)
        return SuccessEnvelope(APIMessage(change.message))
    }

    @Sendable func delete(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIMessage> {
        let caller = try context.callerID()
        let (id, seq) = try Self.target(context)
        let change = try await services.messages.delete(callerID: caller, conversationID: id, seq: seq)
        return SuccessEnvelope(APIMessage(change.message))
    }

    @Sendable func addReaction(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIMessage> {
        try await react(context: context, add: true)
    }

    @Sendable func removeReaction(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIMessage> {
        try await react(context: context, add: false)
    }

    private func react(context: ChatRequestContext, add: Bool) async throws -> SuccessEnvelope<APIMessage> {
        let caller = try context.callerID()
        let (id, seq) = try Self.target(context)
        // The router hands path parameters over as they were sent, percent-encoded.
        guard let emoji = try context.parameters.require("emoji").removingPercentEncoding else {
            throw ChatError.validation("emoji is not valid percent-encoded UTF-8", field: "emoji")
        }
        let change = try await services.messages.react(callerID: caller, conversationID: id, seq: seq, emoji: emoji, add: add)
        return SuccessEnvelope(APIMessage(change.message))
    }

    /// The conversation and `seq` of the path. A conversation id that cannot be ours is not found; a `seq` that is
    /// not a positive integer is the client's mistake (400), one that is but names no message not found.
    private static func target(_ context: ChatRequestContext) throws -> (conversationID: Int64, seq: Int64) {
        let id = try ConversationController.conversationID(context)
        let text = try context.parameters.require("seq")
        guard let seq = Int64(text), String(seq) == text else { throw ChatError.validation("seq must be a positive integer", field: "seq") }
        return (id, try Validator.messageSeq(seq, field: "seq"))
    }
}

import ChatCore
import Hummingbird
import SocketIO

/// Group routes under `/api/v1/conversations`: create (dispatched from ``ConversationController``), rename, add
/// members, remove a member or leave. Authorization is the ``GroupService``'s; this only maps HTTP to it.
struct GroupController {
    let services: ChatServices

    struct RenameBody: Decodable { var title: String }
    struct AddMembersBody: Decodable { var userIds: [String] }

    var routes: RouteCollection<ChatRequestContext> {
        RouteCollection(context: ChatRequestContext.self)
            .patch(":conversationId", use: rename)
            .post(":conversationId/members", use: addMembers)
            .delete(":conversationId/members/:userId", use: removeMember)
    }

    @Sendable func rename(_ request: Request, context: ChatRequestContext) async throws -> Response {
        let caller = try context.callerID()
        let id = try ConversationController.conversationID(context)
        let body = try await request.decode(as: RenameBody.self, context: context)
        let change = try await services.groups.rename(callerID: caller, conversationID: id, title: body.title)
        let payloads = await services.realtime.publish(change)
        return try await answer(change, payloads, for: caller).response(from: request, context: context)
    }

    @Sendable func addMembers(_ request: Request, context: ChatRequestContext) async throws -> Response {
        let caller = try context.callerID()
        let id = try ConversationController.conversationID(context)
        let body = try await request.decode(as: AddMembersBody.self, context: context)
        let userIDs = try Validator.userIDList(body.userIds, field: "userIds")
        let change = try await services.groups.addMembers(callerID: caller, conversationID: id, userIDs: userIDs)
        let payloads = await services.realtime.publish(change)
        return try await answer(change, payloads, for: caller).response(from: request, context: context)
    }

    /// Whoever is still a member gets the group as it is now; whoever left gets what a removed member gets over
    /// Socket.IO, since the group is no longer theirs to see.
    @Sendable func removeMember(_ request: Request, context: ChatRequestContext) async throws -> Response {
        let caller = try context.callerID()
        let id = try ConversationController.conversationID(context)
        // A user id that cannot exist cannot be a member either.
        let target = try Validator.id(try context.parameters.require("userId"), resource: "member")
        let change = try await services.groups.removeMember(callerID: caller, conversationID: id, userID: target)
        let payloads = await services.realtime.publish(change)
        if change.view(for: caller) != nil {
            return try await answer(change, payloads, for: caller).response(from: request, context: context)
        }
        return try SuccessEnvelope(APIConversationRemoved(conversationId: String(id))).response(from: request, context: context)
    }

    /// `POST /conversations` with `type: "group"`: 201 and the group as its creator sees it.
    func create(title: String?, memberIds: [String]?, callerID: Int64) async throws -> EncodedSuccessEnvelope {
        guard let title else { throw ChatError.validation("title is required", field: "title") }
        guard let memberIds else { throw ChatError.validation("memberIds is required", field: "memberIds") }
        let memberIDs = try Validator.userIDList(memberIds, field: "memberIds")
        let change = try await services.groups.createGroup(callerID: callerID, title: title, memberIDs: memberIDs)
        let payloads = await services.realtime.publish(change)
        var answer = try await answer(change, payloads, for: callerID)
        answer.status = .created
        return answer
    }

    /// The group as the caller sees it after the change: the encoding its events were made of when there is one
    /// (a 500-member group is not encoded a second time), else encoded here.
    private func answer(_ change: GroupChange, _ payloads: ConversationPayloads?, for caller: Int64) async throws -> EncodedSuccessEnvelope {
        if let payloads, payloads.isMember(caller) {
            return EncodedSuccessEnvelope(data: try payloads.json(for: caller, isOnline: services.isOnline))
        }
        guard let view = change.view(for: caller) else { throw ChatError.internal("group change left the caller without a view") }
        let hidden = try await services.hiddenPresence(viewerID: caller, among: view.conversation.members.map(\.user.id))
        let data = try EncodedJSON(encoding: APIConversation(view, isOnline: services.isOnline, hidden: hidden), encoder: APICoding.encoder())
        return EncodedSuccessEnvelope(data: data)
    }
}

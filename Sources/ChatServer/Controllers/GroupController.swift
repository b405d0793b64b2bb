import ChatCore
import Hummingbird

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

    @Sendable func rename(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIConversation> {
        let caller = try context.callerID()
        let id = try ConversationController.conversationID(context)
        let body = try await request.decode(as: RenameBody.self, context: context)
        let change = try await services.groups.rename(callerID: caller, conversationID: id, title: body.title)
        await services.realtime.publish(change)
        return SuccessEnvelope(try await view(change, for: caller))
    }

    @Sendable func addMembers(_ request: Request, context: ChatRequestContext) async throws -> SuccessEnvelope<APIConversation> {
        let caller = try context.callerID()
        let id = try ConversationController.conversationID(context)
        let body = try await request.decode(as: AddMembersBody.self, context: context)
        let userIDs = try Validator.userIDList(body.userIds, field: "userIds")
        let change = try await services.groups.addMembers(callerID: caller, conversationID: id, userIDs: userIDs)
        await services.realtime.publish(change)
        return SuccessEnvelope(try await view(change, for: caller))
    }

    /// Whoever is still a member gets the group as it is now; whoever left gets what a removed member gets over
    /// Socket.IO, since the group is no longer theirs to see.
    @Sendable func removeMember(_ request: Request, context: ChatRequestContext) async throws -> Response {
        let caller = try context.callerID()
        let id = try ConversationController.conversationID(context)
        // A user id that cannot exist cannot be a member either.
        let target = try Validator.id(try context.parameters.require("userId"), resource: "member")
        let change = try await services.groups.removeMember(callerID: caller, conversationID: id, userID: target)
        await services.realtime.publish(change)
        if let stillMember = change.view(for: caller) {
            let hidden = try await services.hiddenPresence(viewerID: caller, among: stillMember.conversation.members.map(\.user.id))
            return try SuccessEnvelope(APIConversation(stillMember, isOnline: services.isOnline, hidden: hidden)).response(from: request, context: context)
        }
        return try SuccessEnvelope(APIConversationRemoved(conversationId: String(id))).response(from: request, context: context)
    }

    /// `POST /conversations` with `type: "group"`: 201 and the group as its creator sees it.
    func create(title: String?, memberIds: [String]?, callerID: Int64) async throws -> EditedResponse<SuccessEnvelope<APIConversation>> {
        guard let title else { throw ChatError.validation("title is required", field: "title") }
        guard let memberIds else { throw ChatError.validation("memberIds is required", field: "memberIds") }
        let memberIDs = try Validator.userIDList(memberIds, field: "memberIds")
        let change = try await services.groups.createGroup(callerID: callerID, title: title, memberIDs: memberIDs)
        await services.realtime.publish(change)
        return SuccessEnvelope(try await view(change, for: callerID)).status(.created)
    }

    private func view(_ change: GroupChange, for caller: Int64) async throws -> APIConversation {
        guard let view = change.view(for: caller) else { throw ChatError.internal("group change left the caller without a view") }
        let hidden = try await services.hiddenPresence(viewerID: caller, among: view.conversation.members.map(\.user.id))
        return APIConversation(view, isOnline: services.isOnline, hidden: hidden)
    }
}

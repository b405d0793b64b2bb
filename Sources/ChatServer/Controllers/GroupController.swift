import ChatCore
import Hummingbird

/// Group routes under `/api/v1/conversations`: create (dispatched from ``ConversationController``), rename, add
/// members, remove a member or leave. Authorization is the ``GroupService``'s; this only maps HTTP to it.
struct GroupController {
    let services: ChatServices

    private struct RenameBody: Decodable { var title: String }
    private struct AddMembersBody: Decodable { var userIds: [String] }

    func addRoutes(to group: RouterGroup<ChatRequestContext>) {
        group.patch(":conversationId") { request, context in
            let caller = try context.callerID()
            let id = try conversationID(context)
            let body = try await Self.decode(RenameBody.self, request, context, listField: nil)
            let change = try await services.groups.rename(callerID: caller, conversationID: id, title: body.title)
            await services.realtime.publish(change)
            return try JSONResponse.success(try view(change, for: caller))
        }
        group.post(":conversationId/members") { request, context in
            let caller = try context.callerID()
            let id = try conversationID(context)
            let body = try await Self.decode(AddMembersBody.self, request, context, listField: "userIds")
            let userIDs = try Validator.userIDList(body.userIds, field: "userIds")
            let change = try await services.groups.addMembers(callerID: caller, conversationID: id, userIDs: userIDs)
            await services.realtime.publish(change)
            return try JSONResponse.success(try view(change, for: caller))
        }
        group.delete(":conversationId/members/:userId") { _, context in
            let caller = try context.callerID()
            let id = try conversationID(context)
            // A user id that cannot exist cannot be a member either.
            let target = try Validator.id(try context.parameters.require("userId"), resource: "member")
            let change = try await services.groups.removeMember(callerID: caller, conversationID: id, userID: target)
            await services.realtime.publish(change)
            // Whoever is still a member gets the group as it is now; whoever left gets what a removed member gets
            // over Socket.IO, since the group is no longer theirs to see.
            if let stillMember = change.view(for: caller) {
                return try JSONResponse.success(APIConversation(stillMember, isOnline: services.isOnline))
            }
            return try JSONResponse.success(APIConversationRemoved(conversationId: String(id)))
        }
    }

    /// `POST /conversations` with `type: "group"`: 201 and the group as its creator sees it.
    func create(title: String?, memberIds: [String]?, callerID: Int64) async throws -> Response {
        guard let title else { throw ChatError.validation("title is required", field: "title") }
        guard let memberIds else { throw ChatError.validation("memberIds is required", field: "memberIds") }
        let memberIDs = try Validator.userIDList(memberIds, field: "memberIds")
        let change = try await services.groups.createGroup(callerID: callerID, title: title, memberIDs: memberIDs)
        await services.realtime.publish(change)
        return try JSONResponse.success(try view(change, for: callerID), status: .created)
    }

    /// Decodes a body; a wrong element inside the id list is reported against the list itself, not "userIds.Index 3".
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: ChatRequestContext, listField: String?) async throws -> T {
        do {
            return try await request.decodeJSON(type, context: context)
        } catch let error as ChatError {
            guard let listField, case .validation(let message, let field?) = error, field.hasPrefix(listField + ".") else { throw error }
            throw ChatError.validation(message.replacingOccurrences(of: field, with: listField), field: listField)
        }
    }

    private func conversationID(_ context: ChatRequestContext) throws -> Int64 {
        try Validator.id(try context.parameters.require("conversationId"), resource: "conversation")
    }

    private func view(_ change: GroupChange, for caller: Int64) throws -> APIConversation {
        guard let view = change.view(for: caller) else { throw ChatError.internal("group change left the caller without a view") }
        return APIConversation(view, isOnline: services.isOnline)
    }
}

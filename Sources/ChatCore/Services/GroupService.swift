import Foundation

/// Group conversations: creating, renaming, adding and removing members, leaving.
///
/// Authorization lives here, not in the transports: a caller who is not a member gets not-found, a member who
/// is not an admin gets forbidden. The rules run inside the store's transaction over a locked snapshot
/// (``ChatStore/changeGroup(conversationID:at:_:)``), so concurrent changes cannot break them: the member limit
/// holds under concurrent adds, and two admins leaving at once still leave an admin behind.
///
/// Every method returns a ``GroupChange`` with the conversation afterwards and the affected user ids, which is
/// what the real-time layer needs to emit `conversation:new`, `conversation:update` and `conversation:removed`.
public struct GroupService: Sendable {
    private let store: any ChatStore
    private let ids: IDGenerator
    private let limits: RateLimits

    public init(store: any ChatStore, ids: IDGenerator, limits: RateLimits = .unlimited) {
        self.store = store
        self.ids = ids
        self.limits = limits
    }

    /// Creates a group with the caller as its admin and `memberIDs` as plain members. `memberIDs` may list the
    /// caller (ignored); it must not repeat a user or name an unknown one, nor one who blocked the caller. The group
    /// has 2-500 members.
    public func createGroup(callerID: Int64, title: String, memberIDs: [Int64]) async throws -> GroupChange {
        let title = try Validator.groupTitle(title)
        try limits.conversationChangesPerUser.check(String(callerID))
        guard Set(memberIDs).count == memberIDs.count else {
            throw ChatError.validation("memberIds must not repeat a user", field: "memberIds")
        }
        let others = memberIDs.filter { $0 != callerID }
        guard Validator.groupMemberCount.contains(others.count + 1) else {
            throw ChatError.validation(
                "a group has \(Validator.groupMemberCount.lowerBound)-\(Validator.groupMemberCount.upperBound) members, the creator included",
                field: "memberIds")
        }
        let known = Set(try await store.users(ids: others).map(\.id))
        let unknown = others.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw Validator.unknownUsers(unknown.map(String.init), field: "memberIds") }
        guard try await blockers(of: callerID, among: others).isEmpty else { throw ChatError.blocked }

        let draft = NewConversation(
            id: ids.next(), kind: .group, title: title, directKey: nil,
            members: [(callerID, .admin)] + others.map { ($0, .member) }, createdAt: Date())
        let conversation = try await store.createGroupConversation(draft)
        return GroupChange(
            reason: .created, conversationID: conversation.id, actorID: callerID, conversation: conversation, addedMemberIDs: others,
            removedMemberIDs: [], promotedMemberIDs: [], memberIDs: conversation.members.map(\.user.id), changed: true)
    }

    /// Renames a group. Admins only.
    public func rename(callerID: Int64, conversationID: Int64, title: String) async throws -> GroupChange {
        let title = try Validator.groupTitle(title)
        return try await change(.renamed, callerID: callerID, conversationID: conversationID) { snapshot in
            try Self.requireAdmin(callerID, in: snapshot, to: "rename")
            return GroupPlan(newTitle: title)
        }
    }

    /// Adds users as plain members. Admins only. Users who are already members are skipped (the call is
    /// idempotent); the group may not grow past 500 members.
    public func addMembers(callerID: Int64, conversationID: Int64, userIDs: [Int64]) async throws -> GroupChange {
        guard !userIDs.isEmpty else { throw ChatError.validation("userIds must name at least one user", field: "userIds") }
        guard Set(userIDs).count == userIDs.count else { throw ChatError.validation("userIds must not repeat a user", field: "userIds") }
        guard userIDs.count <= Validator.groupMemberCount.upperBound else { throw Self.tooManyMembers }
        // Looked up before the transaction (users are never deleted), but only reported after the authorization
        // checks below, so a non-member learns nothing from the answer.
        let known = Set(try await store.users(ids: userIDs).map(\.id))
        let blockers = try await blockers(of: callerID, among: userIDs)
        return try await change(.membersAdded, callerID: callerID, conversationID: conversationID) { snapshot in
            try Self.requireAdmin(callerID, in: snapshot, to: "add members")
            let unknown = userIDs.filter { !known.contains($0) }
            guard unknown.isEmpty else { throw Validator.unknownUsers(unknown.map(String.init), field: "userIds") }
            let current = Set(snapshot.members.map(\.userID))
            let newcomers = userIDs.filter { !current.contains($0) }
            guard !newcomers.contains(where: blockers.contains) else { throw ChatError.blocked }
            guard current.count + newcomers.count <= Validator.groupMemberCount.upperBound else { throw Self.tooManyMembers }
            return GroupPlan(addedMemberIDs: newcomers)
        }
    }

    /// Removes `userID` from a group. An admin may remove anyone; anyone may remove themself (leave). When no
    /// admin remains, the longest-standing member (earliest join, then lowest id) becomes admin; when nobody
    /// remains, the group and its messages are deleted.
    public func removeMember(callerID: Int64, conversationID: Int64, userID: Int64) async throws -> GroupChange {
        try await change(.memberRemoved, callerID: callerID, conversationID: conversationID) { snapshot in
            if userID == callerID {
                try Self.requireGroupMember(callerID, in: snapshot)
            } else {
                try Self.requireAdmin(callerID, in: snapshot, to: "remove other members")
                guard snapshot.member(userID) != nil else { throw ChatError.notFound("member not found") }
            }
            return Self.planRemoval(of: userID, from: snapshot)
        }
    }

    /// Leaves a group: ``removeMember(callerID:conversationID:userID:)`` on oneself.
    public func leave(callerID: Int64, conversationID: Int64) async throws -> GroupChange {
        try await removeMember(callerID: callerID, conversationID: conversationID, userID: callerID)
    }

    /// The distinct users who share any conversation with `userID`: who hears about their presence.
    public func contactIDs(of userID: Int64) async throws -> [Int64] {
        try await store.contactIDs(userID: userID)
    }

    /// Those of `userIDs` who blocked `callerID`: the caller may not add them to a group.
    private func blockers(of callerID: Int64, among userIDs: [Int64]) async throws -> Set<Int64> {
        let pairs = try await store.blockPairs(among: [callerID] + userIDs)
        return Set(pairs.filter { $0.blockedID == callerID }.map(\.blockerID))
    }

    /// The removal plan, with the succession rule: promotion only when the removal leaves members but no admin.
    static func planRemoval(of userID: Int64, from snapshot: GroupSnapshot) -> GroupPlan {
        let remaining = snapshot.members.filter { $0.userID != userID }
        guard !remaining.isEmpty else { return GroupPlan(removedMemberIDs: [userID], deletesConversation: true) }
        guard !remaining.contains(where: { $0.role == .admin }) else { return GroupPlan(removedMemberIDs: [userID]) }
        let successor = remaining.min { ($0.joinedAt, $0.userID) < ($1.joinedAt, $1.userID) }
        return GroupPlan(removedMemberIDs: [userID], promotedMemberIDs: successor.map { [$0.userID] } ?? [])
    }

    private static let tooManyMembers = ChatError.validation(
        "a group has at most \(Validator.groupMemberCount.upperBound) members", field: "userIds")

    /// Not a member: not found, so the group's existence does not leak. A direct conversation has no group
    /// operations: a validation error, the same for both of its members.
    private static func requireGroupMember(_ callerID: Int64, in snapshot: GroupSnapshot) throws {
        guard snapshot.member(callerID) != nil else { throw ChatError.notFound("conversation not found") }
        guard snapshot.kind == .group else {
            throw ChatError.validation("only group conversations can be renamed or change members", field: "conversationId")
        }
    }

    private static func requireAdmin(_ callerID: Int64, in snapshot: GroupSnapshot, to action: String) throws {
        try requireGroupMember(callerID, in: snapshot)
        guard snapshot.member(callerID)?.role == .admin else { throw ChatError.forbidden("only group admins can \(action)") }
    }

    private func change(
        _ reason: GroupChange.Reason, callerID: Int64, conversationID: Int64,
        decide: @escaping @Sendable (GroupSnapshot) throws -> GroupPlan
    ) async throws -> GroupChange {
        try limits.conversationChangesPerUser.check(String(callerID))
        let applied = try await store.changeGroup(conversationID: conversationID, at: Date(), decide)
        let plan = applied.plan
        // A deleted group has no members left to tell.
        let memberIDs = applied.conversation?.members.map(\.user.id) ?? []
        return GroupChange(
            reason: reason, conversationID: conversationID, actorID: callerID, conversation: applied.conversation,
            addedMemberIDs: plan.addedMemberIDs, removedMemberIDs: plan.removedMemberIDs, promotedMemberIDs: plan.promotedMemberIDs,
            memberIDs: memberIDs, changed: !plan.isEmpty)
    }
}

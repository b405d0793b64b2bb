import ChatCore
import Foundation
import Logging
import SocketIO

/// ChatOne's real-time API (API.md, "Real time") on a Socket.IO namespace.
///
/// - Connecting needs an access token (`auth.token`, or `Authorization: Bearer` on the handshake request); a
///   socket is disconnected when its token expires unless `auth:renew` brought a fresh one of the same user.
/// - Each socket is registered under its login (the token's session id); revoking the login sends the socket
///   `session:revoked` and disconnects it (``SessionSocketRegistry``).
/// - Each socket joins the room of its user, `user:<id>`: every delivery is addressed to users, so all of a
///   user's devices and tabs hear it. The connection count per user is presence.
/// - Handlers only decode and validate; the chat work is the ``RealtimeHub``'s and the ChatCore services'.
///   Each answers through ``SocketAck`` with the REST envelope.
///
/// The library runs a connection's handlers one at a time in arrival order, so one device's sends are stored
/// (and get their `seq`) in the order it sent them.
struct ChatSocketGateway: Sendable {
    let services: ChatServices
    let logger: Logger
    /// Sockets per user, capped.
    let quota: SocketQuota
    /// Counts the events clients send.
    let metrics: ServerMetrics
    /// Sockets per login, for revocation.
    var registry: SessionSocketRegistry { services.sessionSockets }

    /// The room every socket of a user is in.
    static func room(of userID: Int64) -> String { "user:\(userID)" }

    func install(on namespace: SocketIONamespace) {
        namespace.use { socket in try await authenticate(socket) }
        namespace.onConnection { socket in connected(socket) }
        namespace.onDisconnect { socket, reason in disconnected(socket, reason: reason) }
        // The ack carries the message's bytes made at commit, the same ones every member's socket receives.
        let metrics = self.metrics
        // Every event a client sends is counted under its name (`chatone_socket_events_received_total`).
        func handle(_ name: String, _ body: @escaping @Sendable (SocketIOEvent) async -> Void) {
            namespace.on(name) { event in
                metrics.eventReceived(name)
                await body(event)
            }
        }
        handle(RealtimeEvent.messageSend) { event in await send(event) }
        handle(RealtimeEvent.messageEdit) { event in await SocketAck.respond(to: event, logger: logger) { try await edit(event) } }
        handle(RealtimeEvent.messageDelete) { event in await SocketAck.respond(to: event, logger: logger) { try await delete(event) } }
        handle(RealtimeEvent.messageRead) { event in await SocketAck.respond(to: event, logger: logger) { try await read(event) } }
        handle(RealtimeEvent.typing) { event in await SocketAck.respond(to: event, logger: logger) { try await typing(event) } }
        handle(RealtimeEvent.authRenew) { event in await SocketAck.respond(to: event, logger: logger) { try await renew(event) } }
        // An event ChatOne does not know still gets its ack answered, so the client is not left waiting.
        namespace.onUnhandledEvent { event in
            metrics.eventReceived(event.name)
            await SocketAck.respond(to: event, logger: logger) { () async throws -> APIEmpty in throw ChatError.notFound("unknown event") }
        }
    }

    // MARK: Connection life

    /// Connection middleware: the token must be valid, unexpired and of a live login. The reason for a refusal
    /// stays in the server log (at debug level, and never the token); clients only learn "unauthorized".
    private func authenticate(_ socket: SocketIOSocket) async throws {
        let identity: AccessTokenIdentity
        do {
            guard let token = socket.handshake.bearerToken else { throw ChatError.unauthorized("missing token") }
            identity = try await services.auth.authenticate(accessToken: token)
        } catch {
            logger.debug("socket refused", metadata: ["reason": "\((error as? ChatError)?.publicMessage ?? "\(type(of: error))")"])
            throw SocketIOConnectError("unauthorized", data: ["code": "UNAUTHORIZED"])
        }
        guard let ticket = quota.reserve(userID: identity.userID) else {
            logger.notice("socket refused: too many connections", metadata: ["user.id": "\(identity.userID)"])
            throw SocketIOConnectError("too many connections", data: ["code": "TOO_MANY_CONNECTIONS"])
        }
        // A socket recovering a dropped one's state (its rooms, the events it missed) must be that socket's owner: the
        // same login of the same user. A token of a revoked login never got this far; another user's token, or
        // another login's, connects as a new socket (`recovered: false`) and the dropped session is gone for good.
        if socket.recovered, SocketOwner(socket.data) != SocketOwner(identity) {
            logger.notice("socket recovery refused: the token is not of the dropped socket's login", metadata: ["user.id": "\(identity.userID)"])
            socket.declineRecovery()
        }
        socket.data = SocketOwner(identity).json
        socket[SocketSession.Key.self] = SocketSession(identity: identity, quotaTicket: ticket)
        // Joined before the CONNECT reply goes out, so nothing addressed to the user after the client sees itself
        // connected can miss this socket. (Should the connection close before that reply, this room entry stays
        // in the adapter for a socket that never connected and gets nothing; presence is only counted in
        // `connected`, so it cannot be left behind that way.)
        await socket.join(Self.room(of: identity.userID))
    }

    private func connected(_ socket: SocketIOSocket) {
        guard let session = socket[SocketSession.Key.self] else { return }
        // Registered before presence counts it: a login revoked between the token check and here ends the socket
        // now, and its disconnect then balances the presence count as usual.
        guard registry.register(socket, sessionID: session.sessionID) else {
            services.presence.connected(userID: session.userID)
            registry.end(socket, sessionID: session.sessionID)
            return
        }
        session.start { [logger] in
            logger.info("socket token expired; disconnecting", metadata: ["user.id": "\(session.userID)", "socket.id": "\(socket.id)"])
            socket.disconnect()
        }
        services.presence.connected(userID: session.userID)
        logger.debug("socket connected", metadata: ["user.id": "\(session.userID)", "socket.id": "\(socket.id)"])
    }

    private func disconnected(_ socket: SocketIOSocket, reason: SocketIODisconnectReason) {
        guard let session = socket[SocketSession.Key.self] else { return }
        session.end()
        registry.unregister(socket, sessionID: session.sessionID)
        services.presence.disconnected(userID: session.userID)
        services.memoryTrimmer.socketClosed()
        logger.debug("socket disconnected", metadata: ["user.id": "\(session.userID)", "socket.id": "\(socket.id)", "reason": "\(reason)"])
    }

    // MARK: Events

    /// Queues the message for the store and returns, so the socket's next events run while it is committed; the ack
    /// is answered once it is stored and delivered (with the bytes every member's socket receives). The socket's
    /// sends are stored in the order they arrived; at most ``SendWindow/limit`` wait unanswered.
    private func send(_ event: SocketIOEvent) async {
        guard let window = event.socket[SocketSession.Key.self]?.sends else {
            return SocketAck.answer(event, with: .failure(ChatError.unauthorized()), logger: logger)
        }
        await window.acquire()
        event.ack?.answerLater()
        let logger = self.logger
        do {
            try await submit(event) { result in
                SocketAck.answer(event, with: result.map { APIMessage.encoded($0) }, logger: logger)
                window.release()
            }
        } catch {
            SocketAck.answer(event, with: .failure(error), logger: logger)
            window.release()
        }
    }

    private func submit(_ event: SocketIOEvent, completion: @escaping MessageAppender.Completion) async throws {
        let caller = try callerID(event)
        let payload = try SocketAck.payload(SocketPayload.Send.self, of: event)
        let target: RealtimeHub.Target
        switch (payload.conversationId, payload.toUserId) {
        case (let conversation?, nil): target = .conversation(try Validator.id(conversation, resource: "conversation"))
        case (nil, let user?): target = .user(try Validator.id(user, resource: "user"))
        case (nil, nil): throw ChatError.validation("conversationId or toUserId is required", field: "conversationId")
        case (_?, _?): throw ChatError.validation("give conversationId or toUserId, not both", field: "toUserId")
        }
        try await services.realtime.submit(
            callerID: caller, to: target, content: payload.content, clientMessageID: payload.clientMessageId, replyToSeq: payload.replyToSeq?.value,
            fromSocket: event.socket.id, completion: completion)
    }

    /// The ack answers with the edited message; `message:updated` reaches every socket of every member, this one
    /// included, from the appender's delivery stage before the ack.
    private func edit(_ event: SocketIOEvent) async throws -> APIMessage {
        let caller = try callerID(event)
        let payload = try SocketAck.payload(SocketPayload.Edit.self, of: event)
        let conversationID = try Validator.id(payload.conversationId, resource: "conversation")
        let change = try await services.messages.edit(callerID: caller, conversationID: conversationID, seq: payload.seq.value, content: payload.content)
        return APIMessage(change.message)
    }

    private func delete(_ event: SocketIOEvent) async throws -> APIMessage {
        let caller = try callerID(event)
        let payload = try SocketAck.payload(SocketPayload.Delete.self, of: event)
        let conversationID = try Validator.id(payload.conversationId, resource: "conversation")
        let change = try await services.messages.delete(callerID: caller, conversationID: conversationID, seq: payload.seq.value)
        return APIMessage(change.message)
    }

    private func read(_ event: SocketIOEvent) async throws -> APIReadState {
        let caller = try callerID(event)
        let payload = try SocketAck.payload(SocketPayload.Read.self, of: event)
        let conversationID = try Validator.id(payload.conversationId, resource: "conversation")
        let lastReadSeq = try await services.realtime.markRead(callerID: caller, conversationID: conversationID, seq: payload.seq.value)
        return APIReadState(conversationId: String(conversationID), lastReadSeq: lastReadSeq)
    }

    private func typing(_ event: SocketIOEvent) async throws -> APIEmpty {
        let caller = try callerID(event)
        let payload = try SocketAck.payload(SocketPayload.Typing.self, of: event)
        let conversationID = try Validator.id(payload.conversationId, resource: "conversation")
        try await services.realtime.typing(callerID: caller, conversationID: conversationID, isTyping: payload.isTyping)
        return APIEmpty()
    }

    /// A fresh token of the same user's live login moves the socket's expiry, and the socket then belongs to that
    /// login; any other token (another user's, a revoked login's) is refused and changes nothing.
    private func renew(_ event: SocketIOEvent) async throws -> APIRenewal {
        guard let session = event.socket[SocketSession.Key.self], !session.isRevoked else { throw ChatError.unauthorized("session revoked") }
        let payload = try SocketAck.payload(SocketPayload.Renew.self, of: event)
        let identity = try await services.auth.authenticate(accessToken: payload.token)
        guard identity.userID == session.userID else {
            logger.notice("auth:renew with another user's token refused", metadata: ["user.id": "\(session.userID)", "socket.id": "\(event.socket.id)"])
            throw ChatError.unauthorized("token belongs to another user")
        }
        // Moved before the expiry changes: a login revoked meanwhile must not lend the socket a longer life.
        guard registry.move(event.socket, from: session.sessionID, to: identity.sessionID) else {
            throw ChatError.unauthorized("access token revoked")
        }
        session.renew(until: identity.expiresAt, sessionID: identity.sessionID)
        // The socket now belongs to that login, also for its recovery should it drop.
        event.socket.data = SocketOwner(identity).json
        // Should the socket have gone meanwhile, its disconnect unregistered the old login; do not keep it here.
        if session.isRevoked || !event.socket.isConnected { registry.unregister(event.socket, sessionID: identity.sessionID) }
        return APIRenewal(expiresAt: identity.expiresAt)
    }

    private func callerID(_ event: SocketIOEvent) throws -> Int64 {
        guard let session = event.socket[SocketSession.Key.self] else { throw ChatError.unauthorized() }
        // Events already queued when the login was revoked are refused while the socket is being disconnected.
        guard !session.isRevoked else { throw ChatError.unauthorized("session revoked") }
        return session.userID
    }
}

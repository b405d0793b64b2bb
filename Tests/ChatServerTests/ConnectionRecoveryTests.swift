import ChatTestSupport
import Foundation
import Testing

/// Socket.IO connection state recovery in ChatOne (API.md, "Connection state recovery"), with raw WebSocket clients
/// that present `pid` and `offset` the way socket.io-client does.
@Suite("Socket connection state recovery")
struct ConnectionRecoveryTests {
    /// Closes a client's connection and gives the server a moment to notice and keep its session.
    static func drop(_ socket: SocketIOTestClient) async throws {
        await socket.close()
        try await Task.sleep(for: .milliseconds(300))
    }

    /// Ann and Ben in a direct conversation; Ben's socket saw Ann's "one" and then dropped (its session kept).
    static func benDroppedAfterOne(
        port: Int, api: APIClient
    ) async throws -> (ann: APIClient.Session, ben: APIClient.Session, direct: String, benPhone: SocketIOTestClient) {
        let ann = try await api.register("ann")
        let ben = try await api.register("ben")
        let direct = try await api.conversationID(ann, with: ben)
        let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
        _ = try await api.send(ann, direct, "one")
        _ = try await benPhone.event("message:new")
        try await drop(benPhone)
        return (ann, ben, direct, benPhone)
    }

    @Test("a socket back within the window gets every message:new and conversation event it missed, once, in order", arguments: TestBackend.servers)
    func recoversMissedEvents(_ backend: TestBackend) async throws {
        try await TestApp.live(on: backend) { port, api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let cat = try await api.register("cat")
            let direct = try await api.conversationID(ann, with: ben)
            let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            #expect(benPhone.pid != nil)
            #expect(!benPhone.recovered)
            _ = try await api.send(ann, direct, "before")
            #expect(try await benPhone.event("message:new")["content"]?.string == "before")
            try await Self.drop(benPhone)

            // Missed: three messages, a new group, and a rename of it.
            for index in 1...3 { _ = try await api.send(ann, direct, "missed \(index)") }
            let group = try await api.groupID(cat, title: "Team", members: [ann, ben])
            _ = try await api.rename(cat, group, title: "Team 2")
            _ = try await api.send(cat, group, "in the group")

            let back = try await SocketIOTestClient.connect(port: port, auth: await benPhone.recoveryAuth(token: ben.accessToken))
            #expect(back.recovered)
            #expect(back.sid == benPhone.sid)
            #expect(back.pid == benPhone.pid)
            var seen: [String] = []
            for _ in 0..<6 {
                let event = try await back.nextEvent()
                switch event.name {
                case "message:new": seen.append("message \(event.payload["content"]?.string ?? "?")")
                case "conversation:new", "conversation:update": seen.append("\(event.name) \(event.payload["title"]?.string ?? "?")")
                default: seen.append(event.name)
                }
            }
            #expect(
                seen == [
                    "message missed 1", "message missed 2", "message missed 3", "conversation:new Team", "conversation:update Team 2",
                    "message in the group",
                ])
            #expect(await !back.receives("message:new", within: .milliseconds(300)))
            // Its rooms are back: live delivery goes on.
            _ = try await api.send(ann, direct, "live")
            #expect(try await back.event("message:new")["content"]?.string == "live")
            await back.close()
        }
    }

    @Test("edits, deletes and reactions missed while away are replayed in order with the messages", arguments: TestBackend.servers)
    func recoversMessageChanges(_ backend: TestBackend) async throws {
        try await TestApp.live(on: backend) { port, api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let direct = try await api.conversationID(ann, with: ben)
            let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            _ = try await api.send(ann, direct, "first")
            _ = try await api.send(ann, direct, "second")
            #expect(try await benPhone.event("message:new")["content"]?.string == "first")
            #expect(try await benPhone.event("message:new")["content"]?.string == "second")
            try await Self.drop(benPhone)

            let path = "/api/v1/conversations/\(direct)/messages"
            #expect(try await api.request(.patch, "\(path)/1", token: ann.accessToken, body: api.json(["content": "first, edited"])).status == 200)
            #expect(try await api.request(.put, "\(path)/1/reactions/%F0%9F%91%8D", token: ann.accessToken).status == 200)
            #expect(try await api.request(.delete, "\(path)/2", token: ann.accessToken).status == 200)
            _ = try await api.send(ann, direct, "third")

            let back = try await SocketIOTestClient.connect(port: port, auth: await benPhone.recoveryAuth(token: ben.accessToken))
            #expect(back.recovered)
            var seen: [String] = []
            for _ in 0..<4 { seen.append(try await back.nextEvent().name) }
            #expect(seen == ["message:updated", "message:reactions", "message:deleted", "message:new"])
            #expect(await !back.receives("message:new", within: .milliseconds(300)))
            await back.close()
        }
    }

    @Test("removal from a group stays final: nothing of the group after the removal is replayed", arguments: TestBackend.servers)
    func removalStaysFinal(_ backend: TestBackend) async throws {
        try await TestApp.live(on: backend) { port, api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let group = try await api.groupID(ann, title: "Team", members: [ben])
            let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            _ = try await api.send(ann, group, "seen live")
            #expect(try await benPhone.event("message:new")["content"]?.string == "seen live")
            try await Self.drop(benPhone)

            _ = try await api.send(ann, group, "before removal")
            #expect(try await api.removeMember(ann, group, ben.id).status == 200)
            _ = try await api.send(ann, group, "after removal")

            let back = try await SocketIOTestClient.connect(port: port, auth: await benPhone.recoveryAuth(token: ben.accessToken))
            #expect(back.recovered)
            let first = try await back.nextEvent()
            #expect(first.name == "message:new" && first.payload["content"]?.string == "before removal")
            let second = try await back.nextEvent()
            #expect(second.name == "conversation:removed" && second.payload["conversationId"]?.string == group)
            #expect(await !back.receives("message:new", within: .milliseconds(400)))
            await back.close()
        }
    }

    @Test("only the same login recovers: another user's token, or another login's, gets a new socket and none of the events")
    func ownerOnly() async throws {
        try await TestApp.live(on: .sqliteFile) { port, api in
            let (ann, ben, direct, benPhone) = try await Self.benDroppedAfterOne(port: port, api: api)
            _ = try await api.send(ben, direct, "private to ann and ben")

            // Ann presents ben's pid and offset with her own token: connected as herself, not as ben's socket.
            var stolen = await benPhone.recoveryAuth(token: ben.accessToken)
            stolen["token"] = ann.accessToken
            let intruder = try await SocketIOTestClient.connect(port: port, auth: stolen)
            #expect(!intruder.recovered)
            #expect(intruder.sid == benPhone.sid)  // the id is not a secret; the rooms and events are
            #expect(intruder.pid != benPhone.pid)
            #expect(await !intruder.receives("message:new", within: .milliseconds(400)))
            // It is ann's socket: it hears what ann hears, and not what only ben hears.
            _ = try await api.send(ben, direct, "to ann")
            #expect(try await intruder.event("message:new")["content"]?.string == "to ann")
            let benDirect = try await api.conversationID(ben, with: try await api.register("cat"))
            _ = try await api.send(ben, benDirect, "not for ann")
            #expect(await !intruder.receives("message:new", within: .milliseconds(300)))
            await intruder.close()

            // Refused for good: ben himself no longer gets that session back.
            let late = try await SocketIOTestClient.connect(port: port, auth: await benPhone.recoveryAuth(token: ben.accessToken))
            #expect(!late.recovered)
            await late.close()

            // Ben's second login: a valid token of the same user, but not of the dropped socket's login.
            let benTablet = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            _ = try await api.send(ann, direct, "two")
            _ = try await benTablet.event("message:new")
            try await Self.drop(benTablet)
            let otherLogin = try api.session(try await api.login("ben"))
            let viaOtherLogin = try await SocketIOTestClient.connect(port: port, auth: await benTablet.recoveryAuth(token: otherLogin.accessToken))
            #expect(!viaOtherLogin.recovered)
            await viaOtherLogin.close()
        }
    }

    @Test("after auth:renew to another login of the same user, the socket recovers with that login's token only")
    func recoversAfterRenew() async throws {
        try await TestApp.live(on: .sqliteFile) { port, api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let direct = try await api.conversationID(ann, with: ben)
            let secondLogin = try api.session(try await api.login("ben"))
            for (round, reconnectToken) in [(0, ben.accessToken), (1, secondLogin.accessToken)] {
                let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
                let renewed = try await benPhone.emit("auth:renew", api.json(["token": secondLogin.accessToken]))
                #expect(renewed["success"]?.bool == true, "\(renewed)")
                _ = try await api.send(ann, direct, "live \(round)")
                _ = try await benPhone.event("message:new")
                try await Self.drop(benPhone)
                _ = try await api.send(ann, direct, "missed \(round)")
                let back = try await SocketIOTestClient.connect(port: port, auth: await benPhone.recoveryAuth(token: reconnectToken))
                // The socket belonged to the second login when it dropped: the first login's token does not recover it.
                #expect(back.recovered == (round == 1))
                if round == 1 { #expect(try await back.event("message:new")["content"]?.string == "missed 1") }
                await back.close()
            }
        }
    }

    @Test("a revoked login is never recovered; an expired token is refused and the session waits for a fresh one")
    func revokedAndRefused() async throws {
        try await TestApp.live(on: .sqliteFile) { port, api in
            let (ann, ben, direct, benPhone) = try await Self.benDroppedAfterOne(port: port, api: api)
            _ = try await api.send(ann, direct, "missed")

            // A bad token is refused; the session is still there for the right one.
            var bad = await benPhone.recoveryAuth(token: ben.accessToken)
            bad["token"] = "garbage"
            let refused = try await SocketIOTestClient.connect(port: port, auth: bad)
            #expect(refused.connectReply == .refused(ChatSocketGatewayTests.unauthorized))
            await refused.close()
            let back = try await SocketIOTestClient.connect(port: port, auth: await benPhone.recoveryAuth(token: ben.accessToken))
            #expect(back.recovered)
            #expect(try await back.event("message:new")["content"]?.string == "missed")
            try await Self.drop(back)

            // Ben logs out: that login's token no longer connects, so its socket is never recovered.
            #expect(try await api.request(.post, "/api/v1/auth/logout", body: api.json(["refreshToken": ben.refreshToken])).status == 200)
            _ = try await api.send(ann, direct, "after logout")
            let revoked = try await SocketIOTestClient.connect(port: port, auth: await back.recoveryAuth(token: ben.accessToken))
            #expect(revoked.connectReply == .refused(ChatSocketGatewayTests.unauthorized))
            await revoked.close()
        }
    }

    @Test("beyond the window a socket is new and catches up over REST; CHATONE_RECOVERY_WINDOW=0 turns recovery off")
    func windowAndOff() async throws {
        try await TestApp.live(on: .sqliteFile, configure: { $0.recoveryWindow = 0.3 }) { port, api in
            let (ann, ben, direct, benPhone) = try await Self.benDroppedAfterOne(port: port, api: api)
            _ = try await api.send(ann, direct, "missed")
            try await Task.sleep(for: .milliseconds(500))
            let late = try await SocketIOTestClient.connect(port: port, auth: await benPhone.recoveryAuth(token: ben.accessToken))
            #expect(!late.recovered)
            #expect(late.sid != benPhone.sid)
            #expect(await !late.receives("message:new", within: .milliseconds(300)))
            let history = try await api.request(.get, "/api/v1/conversations/\(direct)/messages?after=1", token: ben.accessToken)
            #expect(history.status == 200)
            #expect(history.raw.contains("missed"))
            await late.close()
        }
        try await TestApp.live(on: .sqliteFile, configure: { $0.recoveryWindow = 0 }) { port, api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            let direct = try await api.conversationID(ann, with: ben)
            let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            #expect(benPhone.pid == nil)
            _ = try await api.send(ann, direct, "one")
            // No offset after the message: the event is exactly what it was without recovery.
            #expect(try await benPhone.event("message:new")["content"]?.string == "one")
            #expect(await benPhone.lastOffset == nil)
            await benPhone.close()
        }
    }

    @Test("presence does not flap for a socket recovered within the presence grace")
    func presenceSteady() async throws {
        try await TestApp.live(on: .sqliteFile, configure: { $0.presenceGrace = 2 }) { port, api in
            let ann = try await api.register("ann")
            let ben = try await api.register("ben")
            _ = try await api.conversationID(ann, with: ben)
            let annPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ann.accessToken])
            let benPhone = try await SocketIOTestClient.connect(port: port, auth: ["token": ben.accessToken])
            let online = try await annPhone.event("presence:update")
            #expect(online["userId"]?.string == ben.id && online["online"]?.bool == true)
            try await Self.drop(benPhone)
            let back = try await SocketIOTestClient.connect(port: port, auth: await benPhone.recoveryAuth(token: ben.accessToken))
            #expect(back.recovered)
            #expect(await !annPhone.receives("presence:update", within: .seconds(3)))
            await back.close()
            await annPhone.close()
        }
    }
}

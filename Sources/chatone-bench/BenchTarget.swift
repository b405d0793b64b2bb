import NIOCore

/// The server under test and the client side's event loops.
struct BenchTarget: Sendable {
    var host: String
    var port: Int
    /// For /proc readings; nil when unknown (then no server CPU or memory is reported).
    var pid: Int32?
    var group: any EventLoopGroup
    /// Distinguishes this run's usernames and client message ids from any earlier run against the same database.
    var runID: String
    /// The SQLite file of a server the bench spawned (nil otherwise).
    var databasePath: String?

    func http() async throws -> HTTPConnection { try await HTTPConnection.connect(host: host, port: port, group: group) }

    func api() async throws -> ChatAPI { ChatAPI(http: try await http()) }

    func stats() -> ProcessStats? { ProcessStats.read(pid: pid) }

    /// Registers `count` users named `<run><tag><index>` over `parallel` connections.
    func registerUsers(_ count: Int, tag: String, parallel: Int = 8) async throws -> [BenchUser] {
        let lanes = max(1, min(parallel, count))
        return try await withThrowingTaskGroup(of: [(Int, BenchUser)].self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    let api = try await self.api()
                    defer { Task { await api.http.close() } }
                    var made: [(Int, BenchUser)] = []
                    for index in stride(from: lane, to: count, by: lanes) {
                        made.append((index, try await api.register("\(runID)\(tag)\(index)")))
                    }
                    return made
                }
            }
            var users = [BenchUser?](repeating: nil, count: count)
            for try await made in group { for (index, user) in made { users[index] = user } }
            return users.compactMap { $0 }
        }
    }

    /// Connects one socket per user, `parallel` handshakes at a time; returns those that connected, in user order.
    func connectSockets(
        _ users: [BenchUser],
        parallel: Int = 64,
        onEvent: @escaping @Sendable (Int, String) -> Void = { _, _ in },
        onAck: @escaping @Sendable (Int, Int, String) -> Void = { _, _, _ in }
    ) async -> [SocketIOClient] {
        // A failed handshake leaves a gap; callers compare the count with what they asked for.
        await withTaskGroup(of: (Int, SocketIOClient?).self) { group in
            var sockets = [SocketIOClient?](repeating: nil, count: users.count)
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask {
                    let socket = try? await SocketIOClient.connect(
                        host: host,
                        port: port,
                        token: users[index].token,
                        group: self.group,
                        onEvent: { onEvent(index, $0) },
                        onAck: { onAck(index, $0, $1) }
                    )
                    return (index, socket)
                }
            }
            while next < min(parallel, users.count) { start() }
            for await (index, socket) in group {
                sockets[index] = socket
                if next < users.count { start() }
            }
            return sockets.compactMap { $0 }
        }
    }
}

/// Closes sockets concurrently.
func closeAll(_ sockets: [SocketIOClient]) async {
    await withTaskGroup(of: Void.self) { group in
        for socket in sockets { group.addTask { await socket.close() } }
    }
}

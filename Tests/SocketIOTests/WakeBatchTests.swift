import Foundation
import NIOCore
import Testing
import WebSocketTestSupport

@testable import SocketIO

/// `SocketIOWakeups.batched`: frames queued for WebSocket connections inside a batch are written when the batch ends,
/// one wake-up per event loop; nothing is lost or reordered, and work that outlives the batch still goes out.
@Suite("Socket.IO wake batches")
struct WakeBatchTests {
    @Test("frames queued in a batch are written when it ends, each connection's in order; a task outliving it still delivers")
    func framesGoOutWhenTheBatchEnds() async throws {
        let io = makeRoomServer()
        try await withLiveServer(io) { port, _ in
            var sockets: [WSTestConnection] = []
            for room in ["a", "b", "c"] {
                let (ws, reply) = try await connectSocket(port: port, auth: "{}")
                #expect(reply.hasPrefix("0"))
                ws.send(#"421["join","\#(room)"]"#)
                #expect(await ws.nextText() == #"431["joined"]"#)
                sockets.append(ws)
            }
            let (first, second, late) = (sockets[0], sockets[1], sockets[2])

            await SocketIOWakeups.batched {
                for n in 0..<20 {
                    await io.of("/").to("a").emit("n", .number(Double(n)))
                    await io.of("/").to("b").emit("n", .number(Double(n)))
                }
                // Queued, not yet written: the connections are woken when the batch ends.
                #expect(await first.nextText(timeout: .milliseconds(300)) == nil)
                Task {
                    try await Task.sleep(for: .milliseconds(200))
                    await io.of("/").to("c").emit("late", "after the batch")
                }
            }
            for ws in [first, second] {
                for n in 0..<20 {
                    #expect(await ws.nextText() == #"42["n",\#(n)]"#)
                }
            }
            #expect(await late.nextText() == #"42["late","after the batch"]"#)
            for ws in sockets { ws.close() }
        }
    }
}

import Foundation
import Hummingbird
import Testing
import WebSocketTestSupport

@testable import SocketIO

@Suite("The handshake's query string, as the application sees it")
struct HandshakeQueryTests {
    @Test("names and values are percent-decoded, + is a space, the first of a repeated name wins, malformed escapes are kept")
    func decoding() async throws {
        let io = SocketIOServer(configuration: SocketIOConfiguration(pingInterval: .seconds(5), pingTimeout: .seconds(5), connectTimeout: .seconds(5)))
        io.of("/").on("query") { event in
            let query = event.socket.handshake.query
            let keys = ["name", "caf\u{E9}", "plus", "bad", "latin1", "empty", "flag", "dup", "EIO"]
            event.ack?(.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, query[$0].map(JSONValue.string) ?? .null) })))
        }
        try await withLiveServer(io) { port, _ in
            let query = "EIO=4&transport=websocket&name=J%C3%B6rg+B%26B&caf%C3%A9=1&plus=a+b%2Bc&bad=%zz+x%4&latin1=%FF+y"
                + "&empty=&flag&dup=first&dup=second&&"
            let ws = WSTestConnection(url: "ws://127.0.0.1:\(port)/socket.io/?\(query)")
            let open = try #require(await ws.nextText())
            #expect(open.hasPrefix("0{"))
            ws.send("40")
            let connect = try #require(await ws.nextText())
            #expect(connect.hasPrefix("40{"))
            ws.send(#"421["query"]"#)
            let reply = try #require(await ws.nextText())
            #expect(reply.hasPrefix("431["))
            let answer = try JSONValue(parsing: String(reply.dropFirst(3)))
            let decoded = try #require(answer[0])
            #expect(decoded["name"] == .string("J\u{F6}rg B&B"))
            #expect(decoded["caf\u{E9}"] == .string("1"))
            #expect(decoded["plus"] == .string("a b+c"))
            // Not valid escapes, or not UTF-8 once decoded: kept as they came, `+` as a space.
            #expect(decoded["bad"] == .string("%zz x%4"))
            #expect(decoded["latin1"] == .string("%FF y"))
            #expect(decoded["empty"] == .string(""))
            #expect(decoded["flag"] == .string(""))
            #expect(decoded["dup"] == .string("first"))
            #expect(decoded["EIO"] == .string("4"))
            ws.close()
        }
    }
}

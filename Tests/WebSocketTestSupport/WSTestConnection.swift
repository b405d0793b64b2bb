import HummingbirdWSClient
import Logging
import NIOCore

/// A raw WebSocket client for tests: send text/binary frames, read frames with a timeout.
public final class WSTestConnection: Sendable {
    public enum Outgoing: Sendable {
        case text(String)
        case binary(ByteBuffer)
        case close
    }

    public let inbox = MessageInbox()
    private let outgoing: AsyncStream<Outgoing>.Continuation
    private let task: Task<Void, Never>

    public init(url: String) {
        let (stream, continuation) = AsyncStream<Outgoing>.makeStream()
        self.outgoing = continuation
        let inbox = self.inbox
        self.task = Task {
            _ = try? await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: Logger(label: "ws-test")) {
                inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 22) { await inbox.deliver(message) }
                    }
                    group.addTask {
                        for await command in stream {
                            switch command {
                            case .text(let text): try await outbound.write(.text(text))
                            case .binary(let bytes): try await outbound.write(.binary(bytes))
                            case .close: return
                            }
                        }
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
            await inbox.finish()
        }
    }

    public func send(_ text: String) { outgoing.yield(.text(text)) }
    public func send(binary bytes: [UInt8]) { outgoing.yield(.binary(ByteBuffer(bytes: bytes))) }
    public func close() { outgoing.yield(.close) }

    /// The next frame, or `nil` on close/timeout.
    public func next(timeout: Duration = .seconds(10)) async -> WebSocketMessage? {
        await inbox.next(timeout: timeout)
    }

    /// The next text frame that is not an Engine.IO ping (pings are answered).
    public func nextText(timeout: Duration = .seconds(10)) async -> String? {
        while let message = await next(timeout: timeout) {
            guard case .text(let text) = message else { continue }
            if text == "2" {
                send("3")
                continue
            }
            return text
        }
        return nil
    }

    /// Waits until the server closes the connection (answering pings meanwhile); `false` on timeout.
    public func waitForClose(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if await inbox.isFinished { return true }
            if case .text("2")? = await next(timeout: .milliseconds(100)) { send("3") }
        }
        return await inbox.isFinished
    }

    deinit {
        outgoing.finish()
    }
}

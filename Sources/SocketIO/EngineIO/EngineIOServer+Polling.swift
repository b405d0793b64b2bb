import Hummingbird
import NIOCore

extension EngineIOServer {
    /// Answers one long-polling HTTP request (handshake, GET poll, POST data, CORS preflight).
    ///
    /// - Parameters:
    ///   - remoteAddress: the client's address, for the handshake filter.
    ///   - collectBody: reads the request body, throwing if it exceeds the given size.
    func handlePolling(
        method: HTTPRequest.Method,
        path: String,
        headers: HTTPFields,
        remoteAddress: SocketAddress? = nil,
        collectBody: (Int) async throws -> ByteBuffer
    ) async -> EngineIOHTTPResponse {
        let cors = corsHeaders(for: headers)
        if method == .options, configuration.allowedOrigins != nil {
            var preflight = cors
            preflight[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            preflight[.accessControlAllowHeaders] = headers[.accessControlRequestHeaders] ?? "content-type"
            return EngineIOHTTPResponse(status: .noContent, headers: preflight, body: ByteBuffer())
        }
        let query = EngineIOHandshakeRequest.parseQuery(path)
        switch verify(method: method, query: query, isUpgrade: false) {
        case .failure(let code):
            return .error(code, headers: cors)
        case .success(.handshake):
            let request = EngineIOHandshakeRequest(headers: headers, query: query, path: path, remoteAddress: remoteAddress)
            if let refusal = admit(request, cors: cors) { return refusal }
            guard let (_, open) = openSession(request: request, transport: .polling) else {
                return .refusal(.serverBusy, headers: cors)
            }
            var body = ByteBuffer()
            body.writeInteger(EngineIOPacketType.open.rawValue)
            body.writeString(open)
            return .text(body, headers: cors)
        case .success(.existing(let session)):
            switch method {
            case .get: return await poll(session, cors: cors)
            case .post: return await receivePost(session, cors: cors, collectBody: collectBody)
            default: return .error(.badRequest, headers: cors)
            }
        }
    }

    /// Packets per polling response at most. python-engineio refuses payloads of more than 16
    /// packets; the rest waits for the next GET, which clients send at once.
    static let maxPacketsPerPoll = 16

    /// The answer to a GET or POST that may not start, or nil when it may. A second request of the same kind
    /// while one is in flight is a protocol error that ends the session, as the reference server does.
    private func refusal(_ start: EngineIOSocket.PollStart, of session: EngineIOSocket, cors: HTTPFields) -> EngineIOHTTPResponse? {
        switch start {
        case .ok:
            return nil
        case .wrongTransport:
            return .error(.badRequest, headers: cors)
        case .overlap:
            session.close(reason: .transportError)
            return .error(.badRequest, headers: cors)
        }
    }

    private func poll(_ session: EngineIOSocket, cors: HTTPFields) async -> EngineIOHTTPResponse {
        if let refusal = refusal(session.beginPoll(), of: session, cors: cors) { return refusal }
        defer { session.endPoll() }
        let frames: [EngineIOFrame]?
        if session.shouldAnswerPollWithNoop {
            frames = [.noop]
        } else {
            frames = await session.nextBatch(limit: Self.maxPacketsPerPoll)
        }
        if session.isClosed, !session.hasQueuedFrames { removeSession(session) }
        guard let frames else { return .error(.unknownSid, headers: cors) }
        var body = ByteBuffer()
        var first = true
        for frame in frames {
            if !first { body.writeInteger(UInt8(0x1E)) }
            first = false
            frame.appendPollingRecord(to: &body)
        }
        return .text(body, headers: cors)
    }

    private func receivePost(
        _ session: EngineIOSocket,
        cors: HTTPFields,
        collectBody: (Int) async throws -> ByteBuffer
    ) async -> EngineIOHTTPResponse {
        if let refusal = refusal(session.beginPost(), of: session, cors: cors) { return refusal }
        defer { session.endPost() }
        let body: ByteBuffer
        do {
            body = try await collectBody(configuration.maxPayload)
        } catch {
            session.close(reason: .transportError, notifyClient: false)
            var headers = cors
            headers[.contentType] = "text/plain; charset=UTF-8"
            return EngineIOHTTPResponse(status: .contentTooLarge, headers: headers, body: ByteBuffer())
        }
        guard body.readableBytes <= configuration.maxPayload,
            let packets = EngineIOInboundPacket.decodePayload(String(buffer: body))
        else {
            session.close(reason: .parseError, notifyClient: false)
            return .error(.badRequest, headers: cors)
        }
        if packets.contains(.close), !session.hasWaitingPoll {
            // The client's GET and its close POST often race (they travel on two connections).
            // Give the GET a moment to park so it is answered with a noop, as the reference server
            // (which sees them in order) does; without one the session ends all the same.
            let deadline = ContinuousClock.now.advanced(by: .milliseconds(50))
            while !session.hasWaitingPoll, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        for packet in packets {
            guard await session.receive(packet) else { break }
        }
        return .text(ByteBuffer(string: "ok"), headers: cors, contentType: "text/html")
    }

    /// CORS headers for an allowed `Origin`, echoing it with credentials as the reference `cors` setup does.
    func corsHeaders(for headers: HTTPFields) -> HTTPFields {
        guard let allowed = configuration.allowedOrigins, let origin = headers[.origin] else { return [:] }
        guard allowed.contains("*") || allowed.contains(origin) else { return [:] }
        return [.accessControlAllowOrigin: origin, .accessControlAllowCredentials: "true", .vary: "Origin"]
    }
}

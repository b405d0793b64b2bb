import ChatCore
import Logging
import NIOCore
import SocketIO

/// The one place socket failures become API.md envelopes, as ``ErrorEnvelopeMiddleware`` is for REST.
///
/// A handler's body either returns the ack's `data` or throws; the client gets `{"success": true, "data": …}` or
/// `{"success": false, "error": {…}}`. Errors that are not the client's fault are logged and answered with a bare
/// `INTERNAL_ERROR`. When the client asked for no ack, a failure is only logged: it never disconnects anyone.
enum SocketAck {
    static func respond(to event: SocketIOEvent, logger: Logger, _ body: () async throws -> some Encodable & Sendable) async {
        await respond(to: event, logger: logger, encoded: { try EncodedJSON(encoding: try await body(), encoder: APICoding.encoder()) })
    }

    /// As ``respond(to:logger:_:)``, for a body that returns its `data` as JSON bytes already: the envelope is put
    /// around them without encoding them again.
    static func respond(to event: SocketIOEvent, logger: Logger, encoded body: () async throws -> EncodedJSON) async {
        let result: Result<EncodedJSON, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        answer(event, with: result, logger: logger)
    }

    /// Answers the event's ack with a result worked out already (a send answered once its message is committed).
    static func answer(_ event: SocketIOEvent, with result: Result<EncodedJSON, any Error>, logger: Logger) {
        let reply: JSONValue
        switch result {
        case .success(let data):
            reply = .encoded(successEnvelope(around: data))
        case .failure(let error):
            let chatError = classify(error, event: event, logger: logger)
            if event.ack == nil {
                logger.info(
                    "socket event without an ack failed", metadata: ["event": "\(event.name)", "code": "\(chatError.code)", "socket.id": "\(event.socket.id)"])
                return
            }
            reply = failure(chatError)
        }
        event.ack?.send(arguments: [reply])
    }

    /// `{"data":…,"success":true}` around bytes encoded already (keys in the sorted order every response uses).
    static func successEnvelope(around data: EncodedJSON) -> EncodedJSON {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(data.bytes.readableBytes + 24)
        bytes.writeStaticString(#"{"data":"#)
        bytes.writeImmutableBuffer(data.bytes)
        bytes.writeStaticString(#","success":true}"#)
        return EncodedJSON(trusting: bytes)
    }

    /// Decodes an event's first argument, which must be a JSON object.
    static func payload<T: Decodable>(_ type: T.Type, of event: SocketIOEvent) throws -> T {
        guard let payload = event.payload, case .object = payload else {
            throw ChatError.validation("payload must be a JSON object")
        }
        do {
            return try payload.decode(as: T.self)
        } catch let error as DecodingError {
            throw error.validationError
        }
    }

    private static func classify(_ error: any Error, event: SocketIOEvent, logger: Logger) -> ChatError {
        switch error {
        case let error as ChatError:
            if case .internal(let detail) = error {
                logger.error("socket event failed", metadata: ["event": "\(event.name)", "socket.id": "\(event.socket.id)", "error": "\(detail)"])
            }
            return error
        case let error as DecodingError:
            return error.validationError
        default:
            logger.error(
                "socket event failed", metadata: ["event": "\(event.name)", "socket.id": "\(event.socket.id)", "error": "\(String(reflecting: error))"])
            return .internal("unhandled")
        }
    }

    private static func failure(_ error: ChatError) -> JSONValue {
        // A fixed shape of strings always encodes; the literal only exists so this can never trap.
        (try? JSONValue(encoding: ErrorEnvelope(error), encoder: APICoding.encoder()))
            ?? ["success": false, "error": ["code": "INTERNAL_ERROR", "message": "internal server error"]]
    }
}

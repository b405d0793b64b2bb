import ChatCore
import Hummingbird

/// The per-request context: Hummingbird's core storage, ChatOne's JSON coding, the client's address and the
/// caller, once authenticated.
public struct ChatRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthMiddleware`` on authenticated routes.
    public var identity: AccessTokenIdentity?
    /// The TCP peer's address.
    public let remoteAddress: String?
    /// Who the client is, for per-address limits: the peer, or behind a trusted proxy the forwarded address. Set by
    /// ``ClientAddressMiddleware``.
    public var clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
        self.clientAddress = remoteAddress
    }

    public var requestDecoder: APIRequestDecoder { APIRequestDecoder() }
    public var responseEncoder: APIResponseEncoder { APIResponseEncoder() }

    /// API.md's body limit; larger bodies are refused with 413 before they are read whole.
    public var maxUploadSize: Int { ChatRequestContext.bodyLimit }
    public static let bodyLimit = 64 * 1024

    /// The authenticated caller's id; only reachable behind ``AuthMiddleware``.
    public func callerID() throws -> Int64 {
        try caller().userID
    }

    /// The authenticated caller: user and login; only reachable behind ``AuthMiddleware``.
    public func caller() throws -> AccessTokenIdentity {
        guard let identity else { throw ChatError.unauthorized() }
        return identity
    }
}

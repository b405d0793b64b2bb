import ChatCore
import Hummingbird

/// The per-request context: Hummingbird's core storage plus the caller, once authenticated.
public struct ChatRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthMiddleware`` on authenticated routes.
    public var identity: AccessTokenIdentity?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
    }

    /// API.md's body limit; larger bodies are refused with 413 before they are read whole.
    public var maxUploadSize: Int { ChatRequestContext.bodyLimit }
    public static let bodyLimit = 64 * 1024

    /// The authenticated caller's id; only reachable behind ``AuthMiddleware``.
    public func callerID() throws -> Int64 {
        guard let identity else { throw ChatError.unauthorized() }
        return identity.userID
    }
}

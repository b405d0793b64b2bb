/// A typed key for per-socket storage (`socket[MyKey.self] = value`).
///
/// ```swift
/// enum UserIDKey: SocketIOStorageKey { typealias Value = String }
/// socket[UserIDKey.self] = "u_123"       // in middleware
/// let userID = socket[UserIDKey.self]    // in handlers
/// ```
public protocol SocketIOStorageKey {
    associatedtype Value: Sendable
}

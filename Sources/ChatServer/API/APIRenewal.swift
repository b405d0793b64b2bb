import Foundation

/// The `auth:renew` ack: when the socket's new token expires.
struct APIRenewal: Encodable, Sendable {
    var expiresAt: Date
}

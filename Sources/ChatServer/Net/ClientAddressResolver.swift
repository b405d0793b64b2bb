import Foundation

/// Who the client is, for per-address limits: the peer's address, or behind a trusted proxy, the address
/// the proxies say they forwarded for.
///
/// `X-Forwarded-For` is read right to left, skipping trusted proxies; the first address not trusted is the
/// client. A header from an untrusted peer is ignored, because anyone can write one.
public struct ClientAddressResolver: Sendable {
    public let trustedProxies: [AddressRange]

    public init(trustedProxies: [AddressRange]) {
        self.trustedProxies = trustedProxies
    }

    /// The client's address; `remote` when there is nothing trustworthy to add. Nil when the peer is unknown.
    public func resolve(remote: String?, forwardedFor: String?) -> String? {
        guard let remote else { return nil }
        guard isTrusted(remote), let forwardedFor, !forwardedFor.isEmpty else { return remote }
        var client = remote
        // A few hops at most are real; an endless header is not worth walking.
        for hop in forwardedFor.split(separator: ",").reversed().prefix(16) {
            let address = hop.trimmingCharacters(in: .whitespaces)
            guard AddressRange.bytes(of: address) != nil else { break }
            client = address
            if !isTrusted(address) { break }
        }
        return client
    }

    private func isTrusted(_ address: String) -> Bool {
        guard !trustedProxies.isEmpty, let bytes = AddressRange.bytes(of: address) else { return false }
        return trustedProxies.contains { $0.contains(bytes) }
    }
}

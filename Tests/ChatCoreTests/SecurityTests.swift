import ChatCore
import Foundation
import NIOPosix
import Testing

@Suite("ChatCore: tokens, hashing, ids")
struct SecurityTests {
    static let secret = String(repeating: "k", count: 32)

    @Test("access tokens round-trip; other secrets, tampering and expiry are refused")
    func accessTokens() async throws {
        let signer = try await AccessTokenSigner(secret: Self.secret, timeToLive: 60)
        let (token, expiresAt) = try await signer.sign(userID: 7, sessionID: 9, now: Date())
        let identity = try await signer.verify(token)
        #expect(identity.userID == 7 && identity.sessionID == 9)
        #expect(abs(identity.expiresAt.timeIntervalSince(expiresAt)) < 1)

        let other = try await AccessTokenSigner(secret: String(repeating: "z", count: 32), timeToLive: 60)
        await #expect(throws: ChatError.self) { _ = try await other.verify(token) }
        var tampered = Array(token)
        tampered[tampered.count / 2] = tampered[tampered.count / 2] == "A" ? "B" : "A"
        await #expect(throws: ChatError.self) { _ = try await signer.verify(String(tampered)) }
        let (old, _) = try await signer.sign(userID: 7, sessionID: 9, now: Date().addingTimeInterval(-120))
        await #expect(throws: ChatError.self) { _ = try await signer.verify(old) }
    }

    @Test("secrets shorter than 32 bytes are refused")
    func shortSecret() async {
        await #expect(throws: ChatError.self) { _ = try await AccessTokenSigner(secret: "short", timeToLive: 60) }
    }

    @Test("bcrypt hashes verify, and a missing user never verifies")
    func passwordHashing() async throws {
        let pool = SpareTimePool(.init(threads: 1))
        pool.start()
        let hasher = PasswordHasher(cost: 4, pool: pool)
        let hash = try await hasher.hash("correct horse")
        #expect(hash.hasPrefix("$2"))
        #expect(try await hasher.verify("correct horse", against: hash))
        #expect(try await !hasher.verify("wrong horse", against: hash))
        #expect(try await !hasher.verify("correct horse", against: nil))
        try await pool.shutdownGracefully()
    }

    @Test("ids are unique and increasing across threads")
    func ids() async {
        let generator = IDGenerator()
        let all = await withTaskGroup(of: [Int64].self) { group in
            for _ in 0..<8 { group.addTask { (0..<5000).map { _ in generator.next() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(all).count == all.count)
        #expect(all.allSatisfy { $0 > 0 })
        let a = generator.next()
        let b = generator.next()
        #expect(b > a)
    }

    @Test("refresh tokens are random and stored as SHA-256 hex")
    func randomTokens() {
        let a = SecureRandom.token()
        #expect(a != SecureRandom.token())
        #expect(Base64URL.decode(a)?.count == 32)
        #expect(SecureRandom.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

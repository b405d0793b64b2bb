import Crypto
import Foundation

/// Random tokens and their hashes, from the system's cryptographic generator.
public enum SecureRandom {
    /// A URL-safe base64 string of `byteCount` random bytes.
    public static func token(byteCount: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64URL.encode(Data(bytes))
    }

    /// Lower-case hex SHA-256 of the string's UTF-8 bytes: how refresh tokens are stored.
    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Random, URL-safe identifiers for Engine.IO sessions and Socket.IO sockets.
enum SessionID {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// 20 characters of 64 symbols: 120 bits from the system's cryptographic generator.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 20)
        var bits: UInt64 = 0
        var available = 0
        for index in 0..<20 {
            if available < 6 {
                bits = generator.next()
                available = 64
            }
            bytes[index] = alphabet[Int(bits & 63)]
            bits >>= 6
            available -= 6
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

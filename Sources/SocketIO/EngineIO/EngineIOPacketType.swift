/// Engine.IO v4 packet types, as their single-character wire encoding.
enum EngineIOPacketType: UInt8, Sendable {
    case open = 0x30  // "0"
    case close = 0x31  // "1"
    case ping = 0x32  // "2"
    case pong = 0x33  // "3"
    case message = 0x34  // "4"
    case upgrade = 0x35  // "5"
    case noop = 0x36  // "6"
}

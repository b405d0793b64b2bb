/// Socket.IO v5 packet types.
public enum SocketIOPacketType: UInt8, Sendable, Hashable {
    case connect = 0
    case disconnect = 1
    case event = 2
    case ack = 3
    case connectError = 4
    case binaryEvent = 5
    case binaryAck = 6
}

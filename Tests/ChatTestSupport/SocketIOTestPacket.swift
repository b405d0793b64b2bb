import Foundation

/// A Socket.IO packet on namespace `/` as it arrives in an Engine.IO `message` text frame: `4` + type + ack id +
/// JSON payload (binary attachments are not used by ChatOne).
public struct SocketIOTestPacket: Sendable, Equatable {
    /// 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR.
    public var type: Int
    public var ackID: Int?
    public var payload: JSON

    /// Parses a text frame; nil for anything else (an Engine.IO packet other than `message`, another namespace).
    public init?(frame: String) {
        var rest = Substring(frame)
        guard rest.first == "4" else { return nil }
        rest = rest.dropFirst()
        guard let type = rest.first?.wholeNumberValue else { return nil }
        rest = rest.dropFirst()
        guard rest.first != "/" else { return nil }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(digits.count)
        self.type = type
        self.ackID = Int(digits)
        if rest.isEmpty {
            self.payload = .null
        } else {
            guard let json = try? JSONDecoder().decode(JSON.self, from: Data(rest.utf8)) else { return nil }
            self.payload = json
        }
    }
}

import NIOCore
import SocketIO

/// Which message a `message:new` packet carries: its id, conversation and `seq`, read back from the payload.
struct DeliveredMessageKey: Sendable, Equatable {
    let id: Int64
    let conversationID: Int64
    let seq: Int64

    /// The key of a `message:new` packet's payload, or nil. The bytes are scanned for the three keys rather than
    /// parsed (a message can be 4,000 characters): in JSON text `"id":"` cannot occur inside a string (its quotes
    /// would be escaped), and a message has no nested object with these keys before them. Anything else is parsed.
    init?(payload: JSONValue) {
        switch payload {
        case .encoded(let json):
            if let key = Self.scan(json.bytes) {
                self = key
            } else if let value = json.value, let key = Self(object: value) {
                self = key
            } else {
                return nil
            }
        default:
            guard let key = Self(object: payload) else { return nil }
            self = key
        }
    }

    private init(id: Int64, conversationID: Int64, seq: Int64) {
        self.id = id
        self.conversationID = conversationID
        self.seq = seq
    }

    private init?(object: JSONValue) {
        guard let id = object["id"]?.stringValue.flatMap({ Int64($0) }),
            let conversation = object["conversationId"]?.stringValue.flatMap({ Int64($0) }),
            let seq = object["seq"]?.intValue
        else { return nil }
        self.init(id: id, conversationID: conversation, seq: Int64(seq))
    }

    /// The first `"id":"<digits>`, `"conversationId":"<digits>` and `"seq":<digits>` in the bytes.
    private static func scan(_ bytes: ByteBuffer) -> DeliveredMessageKey? {
        let view = bytes.readableBytesView
        func number(after key: String) -> Int64? {
            let pattern = Array(key.utf8)
            guard let first = pattern.first, view.count >= pattern.count else { return nil }
            var index = view.startIndex
            let last = view.endIndex - pattern.count
            while index <= last {
                if view[index] == first, view[index..<(index + pattern.count)].elementsEqual(pattern) {
                    var cursor = index + pattern.count
                    var value: Int64 = 0
                    var digits = 0
                    while cursor < view.endIndex, view[cursor] >= UInt8(ascii: "0"), view[cursor] <= UInt8(ascii: "9"), digits < 18 {
                        value = value * 10 + Int64(view[cursor] - UInt8(ascii: "0"))
                        cursor += 1
                        digits += 1
                    }
                    return digits > 0 ? value : nil
                }
                index += 1
            }
            return nil
        }
        guard let id = number(after: #""id":""#), let conversation = number(after: #""conversationId":""#), let seq = number(after: #""seq":"#)
        else { return nil }
        return DeliveredMessageKey(id: id, conversationID: conversation, seq: seq)
    }
}

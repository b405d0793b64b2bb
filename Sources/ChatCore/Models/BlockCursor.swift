import Foundation

/// Where a page of someone's blocks continues: after the block made at `blockedAtMillis` of user `userID` (newest
/// first). Opaque to clients: base64url of "millis:id".
public struct BlockCursor: Sendable, Equatable {
    public var blockedAtMillis: Int64
    public var userID: Int64

    public init(blockedAtMillis: Int64, userID: Int64) {
        self.blockedAtMillis = blockedAtMillis
        self.userID = userID
    }

    public init(decoding cursor: String) throws {
        let invalid = ChatError.validation("invalid cursor", field: "cursor")
        guard cursor.utf8.count <= 64, let data = Base64URL.decode(cursor), let text = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let millis = Int64(parts[0]), let id = Int64(parts[1]), millis >= 0, id > 0 else { throw invalid }
        self.init(blockedAtMillis: millis, userID: id)
    }

    public var encoded: String { Base64URL.encode(Data("\(blockedAtMillis):\(userID)".utf8)) }
}

import NIOCore
import SocketIO

/// Per-user payloads that share most of their text, as one bus notification carries them: each distinct piece once,
/// and for each user the pieces their payload is made of. A change to a 500-member group is one encoded members list
/// plus a few bytes per member, so it crosses the bus as about one copy of the group rather than 500.
struct SharedPayloads: Codable, Sendable, Equatable {
    /// The distinct pieces of text.
    var pieces: [String]
    /// Per user: `[userId, pieceIndex, pieceIndex, …]`.
    var users: [[Int64]]

    enum CodingKeys: String, CodingKey {
        case pieces = "p", users = "u"
    }

    /// Splits the payloads into their pieces; pieces with the same storage (shared by reference) are kept once.
    init(_ payloads: [(userID: Int64, payload: EncodedJSON)]) {
        var pieces: [String] = []
        var index: [PieceKey: Int] = [:]
        users = payloads.map { entry in
            [entry.userID]
                + entry.payload.pieces.map { piece in
                    let key = PieceKey(piece)
                    if let known = index[key] { return Int64(known) }
                    index[key] = pieces.count
                    pieces.append(String(buffer: piece))
                    return Int64(pieces.count - 1)
                }
        }
        self.pieces = pieces
    }

    /// The payloads again, each piece in one buffer shared by every user whose payload holds it; nil if malformed.
    var payloads: [(userID: Int64, payload: EncodedJSON)]? {
        let buffers = pieces.map { ByteBuffer(string: $0) }
        var result: [(userID: Int64, payload: EncodedJSON)] = []
        result.reserveCapacity(users.count)
        for entry in users {
            guard let userID = entry.first else { return nil }
            var parts: [ByteBuffer] = []
            for index in entry.dropFirst() {
                guard buffers.indices.contains(Int(index)) else { return nil }
                parts.append(buffers[Int(index)])
            }
            result.append((userID, EncodedJSON(trustingPieces: parts)))
        }
        return result
    }

    /// A piece by where its bytes are: equal for two references to the same storage and range, without comparing
    /// (possibly 100 KB of) bytes.
    private struct PieceKey: Hashable {
        let address: UInt
        let count: Int

        init(_ piece: ByteBuffer) {
            address = piece.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
            count = piece.readableBytes
        }
    }
}

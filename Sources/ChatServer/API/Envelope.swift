import ChatCore

/// `{"success": true, "data": …}`, with a `page` for lists.
struct SuccessEnvelope<Payload: Encodable & Sendable>: Encodable, Sendable {
    let success = true
    var data: Payload
    var page: PageInfo?

    enum CodingKeys: String, CodingKey { case success, data, page }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(success, forKey: .success)
        try c.encode(data, forKey: .data)
        try c.encodeIfPresent(page, forKey: .page)
    }
}

struct PageInfo: Encodable, Sendable {
    var hasMore: Bool
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hasMore, forKey: .hasMore)
        try c.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case hasMore, nextCursor }
}

/// `{"success": false, "error": {"code", "message", "details"?}}`: the only failure shape clients ever see.
struct ErrorEnvelope: Encodable, Sendable {
    let success = false
    var error: Body

    struct Body: Encodable, Sendable {
        var code: String
        var message: String
        var details: [String: String]?
    }

    init(_ error: ChatError) {
        self.error = Body(code: error.code, message: error.publicMessage, details: error.details)
    }

    enum CodingKeys: String, CodingKey { case success, error }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(success, forKey: .success)
        try c.encode(error, forKey: .error)
    }
}

import ChatCore
import Hummingbird

/// `{"success": true, "data": …}`, with a `page` for lists.
struct SuccessEnvelope<Payload: Encodable & Sendable>: ResponseEncodable, Sendable {
    let success = true
    var data: Payload
    var page: PageInfo?

    init(_ data: Payload, page: PageInfo? = nil) {
        self.data = data
        self.page = page
    }

    init(data: Payload, page: PageInfo?) {
        self.init(data, page: page)
    }

    /// The envelope with another status than 200 (e.g. 201 Created).
    func status(_ status: HTTPResponse.Status) -> EditedResponse<Self> {
        EditedResponse(status: status, response: self)
    }

    enum CodingKeys: String, CodingKey { case success, data, page }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(success, forKey: .success)
        try c.encode(data, forKey: .data)
        try c.encodeIfPresent(page, forKey: .page)
    }
}

extension Page {
    /// A list answer: the items as API objects, with the page.
    func envelope<T: Encodable & Sendable>(_ transform: (Item) -> T) -> SuccessEnvelope<[T]> {
        SuccessEnvelope(items.map(transform), page: PageInfo(hasMore: hasMore, nextCursor: nextCursor))
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

/// An integer from a client (JSON body, socket payload or query string) whose decoding failure names its field.
///
/// Foundation's decoders report a number that does not fit (`1e30`, `9223372036854775808`, `1.5`) without a
/// coding path, so the client would only hear "request body is not valid". Decoding through this type keeps
/// the field in the error; the range rules themselves are the services' (``Validator``).
struct ClientInteger: Decodable, Sendable, Equatable {
    var value: Int64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            value = try container.decode(Int64.self)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an integer in range"))
        }
    }
}

extension ClientInteger {
    /// As a page size; a value no page size can be is passed on as one the validator refuses.
    var pageLimit: Int { Int(exactly: value) ?? .max }
}

import ChatCore

extension DecodingError {
    /// The client's mistake as a `VALIDATION_ERROR` naming the offending field, for REST bodies, query strings and
    /// socket payloads alike.
    var validationError: ChatError { validationError(subject: "request body") }

    /// - Parameter subject: what was being decoded, for errors that concern the whole of it.
    func validationError(subject: String) -> ChatError {
        switch self {
        case .keyNotFound(let key, let context):
            let field = Self.field(context.codingPath + [key])
            return .validation("\(field) is required", field: field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = Self.field(context.codingPath)
            return field.isEmpty ? .validation("\(subject) has the wrong shape") : .validation("\(field) has the wrong type", field: field)
        case .dataCorrupted(let context):
            let field = Self.field(context.codingPath)
            return field.isEmpty ? .validation("\(subject) is not valid") : .validation("\(field) is invalid", field: field)
        @unknown default:
            return .validation("\(subject) is invalid")
        }
    }

    /// The field as a client names it: a bad element of a list is reported against the list (`memberIds`, not
    /// `memberIds.Index 3`).
    private static func field(_ path: [any CodingKey]) -> String {
        path.prefix { $0.intValue == nil }.map(\.stringValue).joined(separator: ".")
    }
}

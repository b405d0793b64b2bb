import ChatCore

extension DecodingError {
    /// The client's mistake as a `VALIDATION_ERROR` naming the offending field, for REST bodies and socket
    /// payloads alike.
    var validationError: ChatError {
        switch self {
        case .keyNotFound(let key, let context):
            let field = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return .validation("\(field) is required", field: field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return field.isEmpty ? .validation("request body has the wrong shape") : .validation("\(field) has the wrong type", field: field)
        case .dataCorrupted(let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return field.isEmpty ? .validation("request body is not valid JSON") : .validation("\(field) is invalid", field: field)
        @unknown default:
            return .validation("request body is invalid")
        }
    }
}

import Foundation

/// The group rules of API.md: title length and member counts.
extension Validator {
    public static let groupTitleLength = 1...100
    public static let groupMemberCount = 2...500

    /// The title trimmed of surrounding whitespace, 1-100 code points.
    public static func groupTitle(_ value: String) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard groupTitleLength.contains(trimmed.unicodeScalars.count) else {
            throw ChatError.validation("title must be 1-100 characters after trimming", field: "title")
        }
        try noNUL(trimmed, field: "title")
        return trimmed
    }

    /// Parses a list of user ids sent as strings. Ids are opaque, so only the exact form the API hands out
    /// ("42", never "042" or "+42") can match a user; any other string is reported as unknown. Repeats are
    /// refused rather than silently merged, so a client bug shows.
    public static func userIDList(_ values: [String], field: String) throws -> [Int64] {
        // More ids than a group can hold is wrong whatever they are; no need to look at each.
        guard values.count < groupMemberCount.upperBound else {
            throw ChatError.validation("\(field) names more users than a group can hold", field: field)
        }
        var ids: [Int64] = []
        var unknown: [String] = []
        for value in values {
            if let id = Int64(value), id > 0, String(id) == value { ids.append(id) } else { unknown.append(value) }
        }
        guard unknown.isEmpty else { throw unknownUsers(unknown, field: field) }
        guard Set(ids).count == ids.count else { throw ChatError.validation("\(field) must not repeat a user", field: field) }
        return ids
    }

    /// The error for ids that match no user: a client mistake in the list, so 400 naming the list.
    static func unknownUsers(_ values: [String], field: String) -> ChatError {
        // Shortened: the values are client input and only need to be recognisable.
        let shown = values.prefix(5).map { "\"\($0.prefix(32))\"" }.joined(separator: ", ")
        return ChatError.validation("\(field) contains unknown users: \(shown)\(values.count > 5 ? ", …" : "")", field: field)
    }
}

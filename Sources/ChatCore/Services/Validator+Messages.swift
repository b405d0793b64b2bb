import Foundation

extension Validator {
    /// Code points of one reaction's emoji.
    public static let emojiLength = 1...8
    /// Distinct emoji one message may carry.
    public static let maxDistinctEmoji = 20
    /// Code points of a message search.
    public static let messageSearchLength = 1...200

    /// A reaction's emoji: 1-8 code points, none of them whitespace or a control character. Anything else is
    /// accepted as it is (skin tones, ZWJ sequences, flags, and also plain text: the server does not police taste).
    public static func emoji(_ value: String) throws -> String {
        guard emojiLength.contains(value.unicodeScalars.count),
            !value.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else {
            throw ChatError.validation("emoji must be 1-8 characters without whitespace or control characters", field: "emoji")
        }
        return value
    }

    /// A message `seq` named by a client (a path or a `replyToSeq`): a positive integer a JSON client can hold.
    public static func messageSeq(_ value: Int64, field: String) throws -> Int64 {
        guard value >= 1, value <= seqRange.upperBound else {
            throw ChatError.validation("\(field) must be an integer from 1 to \(seqRange.upperBound)", field: field)
        }
        return value
    }

    /// The words of a message search: `q` must be 1-200 code points; it is split at every character that is not a
    /// letter, a combining mark or a digit (spaces, punctuation, symbols), which is how SQLite's `unicode61`
    /// tokenizer and InnoDB's full-text parser split the stored text too. A query of punctuation alone has no words
    /// (and finds nothing). At most 16 words are kept (the first 15 and the last): more only narrows the result and costs the engine.
    public static func searchTerms(_ value: String?) throws -> [String] {
        guard let value, !value.isEmpty else { throw ChatError.validation("q is required", field: "q") }
        guard messageSearchLength.contains(value.unicodeScalars.count) else {
            throw ChatError.validation("q must be 1-200 characters", field: "q")
        }
        try noNUL(value, field: "q")
        var terms: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { terms.append(String(current).lowercased()) }
            current = String.UnicodeScalarView()
        }
        for scalar in value.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber:
                current.append(scalar)
            default:
                flush()
            }
        }
        flush()
        return terms.count > 16 ? Array(terms.prefix(15)) + [terms[terms.count - 1]] : terms
    }
}

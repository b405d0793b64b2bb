import Foundation

extension DatabaseURL: CustomStringConvertible {
    /// The URL with any password replaced by `***`, so configuration can be logged or shown safely.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(path ?? ":memory:")"
        case .mysql(let text): return Self.masked(text, fallback: "mysql://***")
        case .postgres(let text): return Self.masked(text, fallback: "postgres://***")
        }
    }

    private static func masked(_ text: String, fallback: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? fallback
    }
}

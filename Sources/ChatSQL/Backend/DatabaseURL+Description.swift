import Foundation

extension DatabaseURL: CustomStringConvertible {
    /// The URL with any password replaced by `***`, so configuration can be logged or shown safely.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(path ?? ":memory:")"
        case .mysql(let text):
            guard var components = URLComponents(string: text), components.password != nil else { return text }
            components.password = "***"
            return components.string ?? "mysql://***"
        }
    }
}

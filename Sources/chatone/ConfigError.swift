import ChatCore

/// Start-up errors as one clear line for the operator.
enum ConfigError {
    static func describe(_ error: any Error) -> String {
        if let error = error as? ChatError { return error.publicMessage }
        return String(describing: error)
    }
}

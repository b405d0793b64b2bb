/// An error from a test body, labelled with the database it ran on.
struct BackendFailure: Error, CustomStringConvertible {
    var backend: TestBackend
    var underlying: any Error
    var description: String { "[\(backend.rawValue)] \(underlying)" }
}

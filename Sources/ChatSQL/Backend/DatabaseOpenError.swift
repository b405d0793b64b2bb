/// The database could not be opened at start-up: unreachable, wrong credentials, unknown database.
///
/// Kept apart from ChatCore's domain errors because it is for the operator starting the server, whom it should
/// tell exactly what failed (never including the password).
public struct DatabaseOpenError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

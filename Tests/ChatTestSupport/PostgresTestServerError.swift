/// The test server is missing or misconfigured.
public struct PostgresTestServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

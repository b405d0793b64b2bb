/// The test server is missing or misconfigured.
public struct MySQLTestServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

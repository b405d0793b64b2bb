/// A user together with their password hash: only the auth service and the store ever see this.
public struct UserCredentials: Sendable {
    public var user: User
    public var passwordHash: String

    public init(user: User, passwordHash: String) {
        self.user = user
        self.passwordHash = passwordHash
    }
}

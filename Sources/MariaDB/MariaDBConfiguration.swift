import Foundation

/// How to reach a server and how many connections to keep, usually parsed from a URL.
///
/// URL form: `mysql://user:password@host:3306/database?option=value&…` (`mariadb://` is the same).
/// User and password are percent-decoded. Options:
/// - `sslmode` = `disabled` (default), `preferred`, `required`, `verify-ca`, `verify-full`; `ssl=true` means `required`.
/// - `sslca`, `sslcert`, `sslkey`: PEM files for verification and client certificates.
/// - `server_public_key`: PEM file with the server's RSA key, for `caching_sha2_password`/`sha256_password` logins
///   without TLS (otherwise the client asks the server for it).
/// - `connect_timeout`, `read_timeout`, `write_timeout`: seconds (defaults 10, 60, 60).
/// - `pool_size`: most connections open at once (default 10).
/// - `socket`: a Unix socket path instead of TCP.
public struct MariaDBConfiguration: Sendable, Equatable {
    /// Whether and how strictly the connection uses TLS; the URL option `sslmode` names one.
    public enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP. (Connector/C 3.4+ may still negotiate TLS on its own.)
        case disabled
        /// TLS when the server offers it, plain otherwise.
        case preferred
        /// TLS or no connection; the certificate is not checked.
        case required
        /// TLS with the server certificate checked against `sslca` (or the system store).
        case verifyCA = "verify-ca"
        /// As `verifyCA`, and the certificate must name the host.
        case verifyFull = "verify-full"
    }

    /// Host name or IP address of the server.
    public var host: String
    /// TCP port, 3306 by default.
    public var port: Int
    /// A Unix socket path; when set, it is used instead of TCP.
    public var unixSocket: String?
    /// The account to log in as.
    public var username: String
    /// Its password; never logged or put into error messages.
    public var password: String?
    /// The default database of every connection.
    public var database: String?
    /// TLS use, see ``TLSMode``.
    public var tlsMode: TLSMode
    /// PEM file of the CA that signed the server certificate (`verify-ca`, `verify-full`).
    public var tlsCA: String?
    /// PEM client certificate, for servers that require one.
    public var tlsCertificate: String?
    /// PEM key of the client certificate.
    public var tlsKey: String?
    /// PEM file with the server's RSA key for `caching_sha2_password` logins without TLS.
    public var serverPublicKey: String?
    /// Seconds to establish a connection.
    public var connectTimeout: UInt32
    /// Seconds to wait for the server's answer; a statement that waits longer fails and its connection is replaced.
    /// Keep it above the server's `innodb_lock_wait_timeout` (50 s by default) so lock waits end on the server side.
    public var readTimeout: UInt32
    /// Seconds to wait for a write to the server.
    public var writeTimeout: UInt32
    /// Most connections open at once; callers beyond it wait in arrival order.
    public var maximumConnections: Int
    /// Statements each new connection runs before use (session settings such as isolation level). Fixed text only.
    ///
    /// The default turns on `NO_BACKSLASH_ESCAPES`: SQLKit escapes string literals the standard way (doubling
    /// quotes), which is only complete when a backslash is an ordinary character. Keep it when replacing the list.
    public var sessionSetup: [String]

    /// The session statement that makes backslashes ordinary characters in SQL literals.
    public static let standardLiteralsSetup =
        "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_BACKSLASH_ESCAPES')"

    public init(
        host: String = "127.0.0.1", port: Int = 3306, username: String, password: String? = nil, database: String? = nil,
        tlsMode: TLSMode = .disabled, maximumConnections: Int = 10
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
        self.connectTimeout = 10
        self.readTimeout = 60
        self.writeTimeout = 60
        self.maximumConnections = maximumConnections
        self.sessionSetup = [Self.standardLiteralsSetup]
    }

    /// Parses `mysql://…` or `mariadb://…`; errors name the part that is wrong (never the password).
    public init(url text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "mysql" || scheme == "mariadb"
        else {
            throw MariaDBError.wrapper("database URL must look like mysql://user:password@host:3306/database")
        }
        guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw MariaDBError.wrapper("database URL needs a user name (mysql://user:password@host/database)")
        }
        self.init(
            host: components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1", port: components.port ?? 3306, username: user,
            password: components.percentEncodedPassword?.removingPercentEncoding)
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : path.removingPercentEncoding
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name.lowercased() {
            case "ssl", "tls":
                tlsMode = ["true", "1", "yes", "on", "required"].contains(value.lowercased()) ? .required : .disabled
            case "sslmode", "ssl-mode", "ssl_mode", "tlsmode":
                let normalized = value.lowercased().replacingOccurrences(of: "_", with: "-")
                guard let mode = TLSMode(rawValue: normalized == "disable" ? "disabled" : normalized == "require" ? "required" : normalized)
                else {
                    throw MariaDBError.wrapper("sslmode must be disabled, preferred, required, verify-ca or verify-full")
                }
                tlsMode = mode
            case "sslca", "ssl-ca", "sslrootcert": tlsCA = value
            case "sslcert", "ssl-cert": tlsCertificate = value
            case "sslkey", "ssl-key": tlsKey = value
            case "server_public_key", "server-public-key": serverPublicKey = value
            case "socket", "unix_socket": unixSocket = value
            case "connect_timeout": connectTimeout = try Self.number(item)
            case "read_timeout": readTimeout = try Self.number(item)
            case "write_timeout": writeTimeout = try Self.number(item)
            case "pool_size", "max_connections":
                let size: UInt32 = try Self.number(item)
                guard size > 0 else { throw MariaDBError.wrapper("pool_size must be at least 1") }
                maximumConnections = Int(size)
            default:
                throw MariaDBError.wrapper("unknown database URL option '\(item.name)'")
            }
        }
    }

    private static func number(_ item: URLQueryItem) throws -> UInt32 {
        guard let value = item.value.flatMap({ UInt32($0) }) else {
            throw MariaDBError.wrapper("\(item.name) must be a whole number")
        }
        return value
    }
}

import ChatCore
import Foundation
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, read the way libpq reads it.
///
/// `sslmode` keeps libpq's meanings, so a URL copied from another tool behaves the same here:
/// - `disable`: plain TCP.
/// - `prefer` (the default) and `allow`: TLS when the server offers it, certificate not checked.
/// - `require`: TLS or no connection, certificate not checked (protects against eavesdropping only).
/// - `verify-ca`: TLS, the certificate must chain to a trusted CA (`sslrootcert=FILE`, else the system's).
/// - `verify-full`: as `verify-ca`, and the certificate must name the host.
public struct PostgresURL: Sendable, Equatable {
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// A PEM file of CA certificates for `verify-ca`/`verify-full`; the system's trust store when nil.
    public var sslRootCert: String?
    /// Most connections the pool opens at once (`pool_size`, default 20).
    public var poolSize: Int

    public init(parsing text: String) throws {
        func invalid(_ why: String) -> ChatError {
            .validation("invalid PostgreSQL URL (\(why)); expected postgres://user:password@host:5432/database", field: "databaseURL")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else { throw invalid("not a postgres:// or postgresql:// URL") }
        guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw invalid("no database name") }
        var sslMode = SSLMode.prefer
        var rootCert: String?
        var poolSize = 20
        for item in components.queryItems ?? [] {
            switch item.name.lowercased() {
            case "sslmode":
                guard let value = item.value?.lowercased(), let mode = SSLMode(rawValue: value) else {
                    throw invalid("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert":
                rootCert = item.value
            case "pool_size":
                // At least two: the migration holds its advisory lock on one connection while it runs its
                // transactions on another, so a pool of one would wait for itself at start-up for ever.
                guard let value = item.value.flatMap(Int.init), (2...1000).contains(value) else {
                    throw invalid("pool_size must be a number from 2 to 1000")
                }
                poolSize = value
            default:
                throw invalid("unknown parameter '\(item.name)'; supported: sslmode, sslrootcert, pool_size")
            }
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = sslMode
        self.sslRootCert = rootCert
        self.poolSize = poolSize
    }

    /// The same TLS setting for a single connection (the start-up check).
    func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch sslMode {
        case .disable: return .disable
        case .allow, .prefer: return .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
        default: return .require(try NIOSSLContext(configuration: tlsConfiguration()))
        }
    }

    private func tlsConfiguration() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let sslRootCert { tls.trustRoots = .file(sslRootCert) }
        switch sslMode {
        case .disable, .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        return tls
    }

    /// postgres-nio's TLS setting for this mode.
    func tls() throws -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let sslRootCert { tls.trustRoots = .file(sslRootCert) }
        switch sslMode {
        case .disable:
            return .disable
        case .allow, .prefer:
            tls.certificateVerification = .none
            return .prefer(tls)
        case .require:
            tls.certificateVerification = .none
            return .require(tls)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            return .require(tls)
        }
    }
}

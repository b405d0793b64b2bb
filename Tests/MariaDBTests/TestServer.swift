import ChatTestSupport
import Logging
import MariaDB
import Testing

/// A client on a scratch database of the test server; cancels the test (shown as skipped) without a server.
enum TestServer {
    static let logger: Logger = {
        var logger = Logger(label: "mariadb-test")
        logger.logLevel = .warning
        return logger
    }()

    static func withClient<T>(
        pool: Int = 4, options: String = "", _ body: (MariaDBClient, MariaDBConfiguration) async throws -> T
    ) async throws -> T {
        guard MySQLTestServer.url != nil else { try Test.cancel(Comment(rawValue: MySQLTestServer.skipMessage)) }
        return try await MySQLTestServer.withScratchDatabase { url in
            var configuration = try MariaDBConfiguration(url: url + options)
            configuration.maximumConnections = pool
            let client = MariaDBClient(configuration: configuration, logger: logger)
            do {
                let result = try await body(client, configuration)
                await client.shutdown()
                return result
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }
}

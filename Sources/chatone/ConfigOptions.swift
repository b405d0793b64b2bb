import ArgumentParser
import ChatSQL
import ChatServer
import Logging

/// Flags shared by the subcommands. Each overrides its `CHATONE_*` environment variable.
struct ConfigOptions: ParsableArguments {
    @Option(help: "Database URL: sqlite://PATH, sqlite://:memory:, mysql://… (env CHATONE_DATABASE_URL)")
    var databaseURL: String?

    @Option(help: "Log level (env CHATONE_LOG_LEVEL)")
    var logLevel: String?

    func resolve(host: String? = nil, port: Int? = nil) throws -> ServerConfig {
        var environment = ProcessEnvironment.current
        if let databaseURL { environment["CHATONE_DATABASE_URL"] = databaseURL }
        if let logLevel { environment["CHATONE_LOG_LEVEL"] = logLevel }
        if let host { environment["CHATONE_HOST"] = host }
        if let port { environment["CHATONE_PORT"] = String(port) }
        do {
            return try ServerConfig.fromEnvironment(environment)
        } catch {
            throw ValidationError(ConfigError.describe(error))
        }
    }

    /// Installs the configured log format (once per process), then makes the server's logger.
    func logger(_ config: ServerConfig) -> Logger {
        if config.logFormat == .json {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
        var logger = Logger(label: "chatone")
        logger.logLevel = config.logLevel
        return logger
    }
}

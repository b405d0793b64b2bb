import ArgumentParser
import ChatSQL
import ChatServer

/// `chatone migrate`: brings the database schema up to date and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations and exit.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.resolve()
        let logger = options.logger(config)
        do {
            let backend = try await ChatDatabase.open(config.databaseURL, options: config.databaseOptions, logger: logger)
            let applied: [Int]
            do {
                applied = try await Migrator(backend: backend, logger: logger).migrate()
            } catch {
                await backend.shutdown()
                throw error
            }
            await backend.shutdown()
            print(applied.isEmpty ? "schema is up to date" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))")
        } catch {
            logger.critical("migration failed: \(ConfigError.describe(error))")
            throw ExitCode.failure
        }
    }
}

import ArgumentParser
import ChatServer
import Foundation
import Hummingbird

/// `chatone serve`: applies migrations, then serves REST and Socket.IO until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the server (applies migrations first).")

    @Option(help: "Address to listen on (env CHATONE_HOST, default 127.0.0.1)")
    var host: String?

    @Option(help: "Port to listen on (env CHATONE_PORT, default 3000)")
    var port: Int?

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        CPUAffinity.fitEventLoopsToAllowedCores()
        let config = try options.resolve(host: host, port: port)
        let logger = options.logger(config)
        let app: ChatApplication
        do {
            app = try await buildChatApplication(config: config, logger: logger)
        } catch {
            logger.critical("cannot start: \(ConfigError.describe(error))")
            throw ExitCode.failure
        }
        try await app.runService(onOverrun: { Foundation.exit(1) })
    }
}

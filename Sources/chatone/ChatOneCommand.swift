import ArgumentParser
import ChatServer

/// `chatone`: the ChatOne server.
@main
struct ChatOneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chatone",
        abstract: "ChatOne: a real-time chat backend (REST + Socket.IO).",
        subcommands: [ServeCommand.self, MigrateCommand.self],
        defaultSubcommand: ServeCommand.self)
}

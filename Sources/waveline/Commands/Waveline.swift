import ArgumentParser
import WavelineAPI
import Foundation

@main
struct Waveline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waveline",
        abstract: "Deployment control plane for data-platform operations.",
        discussion: "Runs operations on nodes in phases, tracks them live, and keeps every step and log line.",
        subcommands: [
            ServeCommand.self, DemoCommand.self, DeployCommand.self, StatusCommand.self, LogsCommand.self,
            PauseCommand.self, ResumeCommand.self, AbortCommand.self, RetryCommand.self, SkipCommand.self,
            ApproveCommand.self, RollbackCommand.self, InventoryCommand.self, CatalogCommand.self,
            AuditCommand.self, RolesCommand.self, LoginCommand.self, LogoutCommand.self, WhoamiCommand.self,
            UsersCommand.self, TokensCommand.self,
        ]
    )
}

/// Options every client command shares: which server, and the API token that says who you are.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The Waveline server's URL (or WAVELINE_URL).")
    var server: String = ProcessInfo.processInfo.environment["WAVELINE_URL"] ?? "http://127.0.0.1:8080"

    @Option(name: .long, help: ArgumentHelp("An API token (or WAVELINE_TOKEN); else the one `waveline login` saved for this server.", valueName: "token"))
    var token: String?

    var baseURL: String { server.hasSuffix("/") ? String(server.dropLast()) : server }

    var client: APIClient {
        let token = self.token ?? ProcessInfo.processInfo.environment["WAVELINE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Credentials.load().servers[baseURL]?.token
        return APIClient(baseURL: baseURL, token: token)
    }
}

/// Prints a value as JSON for scripts.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// A clean one-line failure for the terminal: no stack trace, non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    /// Messages often quote what the server answered: shown, never obeyed by the terminal.
    init(_ description: String) { self.description = TerminalText.neutralized(description) }
}

extension AsyncParsableCommand {
    /// Runs a client call and turns its failure into a plain message.
    func reporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as APIClient.Failure {
            throw CLIError(error.description)
        }
    }
}

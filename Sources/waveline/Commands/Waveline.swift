import ArgumentParser
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
            AuditCommand.self, RolesCommand.self,
        ]
    )
}

/// Options every client command shares: which server, as whom, and machine-readable output.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The Waveline server's URL (or WAVELINE_URL).")
    var server: String = ProcessInfo.processInfo.environment["WAVELINE_URL"] ?? "http://127.0.0.1:8080"

    @Option(name: .long, help: "Who you are, recorded with your actions (or WAVELINE_USER, else $USER).")
    var user: String = ProcessInfo.processInfo.environment["WAVELINE_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"

    var client: APIClient {
        APIClient(baseURL: server.hasSuffix("/") ? String(server.dropLast()) : server, user: user)
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
    init(_ description: String) { self.description = description }
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

import ArgumentParser
import WavelineAPI
import WavelineCore

/// What every operator action takes: the deployment, optional nodes, a reason.
struct ActionOptions: ParsableArguments {
    @Argument(help: "The deployment id.") var id: Int64
    @Option(name: .long, help: "A node to act on (repeatable); default: every node the action applies to.") var node: [String] = []
    @Option(name: .long, help: "Why, recorded with the action.") var reason: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var client: ClientOptions
}

protocol ActionCommand: AsyncParsableCommand {
    static var action: OperatorAction { get }
    var options: ActionOptions { get }
}

extension ActionCommand {
    func run() async throws {
        let api = options.client.client
        let request = OperatorActionRequest(deployment: options.id, action: Self.action, nodes: options.node, reason: options.reason)
        let detail = try await reporting { try await api.act(request) }
        if options.json {
            try printJSON(detail)
        } else {
            print("\(Self.action.rawValue): done. " + StatusRenderer.progressLine(detail))
        }
    }
}

struct PauseCommand: ActionCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Start nothing new; running nodes finish.")
    static let action = OperatorAction.pause
    @OptionGroup var options: ActionOptions
}

struct ResumeCommand: ActionCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Continue a paused or halted deployment.")
    static let action = OperatorAction.resume
    @OptionGroup var options: ActionOptions
}

struct AbortCommand: ActionCommand {
    static let configuration = CommandConfiguration(commandName: "abort", abstract: "Stop now: running commands are ended with their whole process group.")
    static let action = OperatorAction.abort
    @OptionGroup var options: ActionOptions
}

struct RetryCommand: ActionCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Run failed or interrupted nodes again, from the step that did not finish.")
    static let action = OperatorAction.retry
    @OptionGroup var options: ActionOptions
}

struct SkipCommand: ActionCommand {
    static let configuration = CommandConfiguration(commandName: "skip", abstract: "Leave nodes out (--node, required); they stop counting as failures.")
    static let action = OperatorAction.skip
    @OptionGroup var options: ActionOptions
}

struct ApproveCommand: ActionCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Let a deployment waiting for approval start (never your own on a protected environment), or open the manual gate it waits at.")
    static let action = OperatorAction.approve
    @OptionGroup var options: ActionOptions
}

struct RollbackCommand: ActionCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Run the rollback steps on the nodes that completed.")
    static let action = OperatorAction.rollback
    @OptionGroup var options: ActionOptions
}

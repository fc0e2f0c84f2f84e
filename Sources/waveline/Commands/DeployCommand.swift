import ArgumentParser
import Foundation
import WavelineCore
import WavelineAPI

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Start a deployment: an operation on a selection of nodes, with a strategy.",
        discussion: """
            Example:
              waveline deploy deploy-version --product kafka --env dev -p version=3.7.1 \\
                --reason "roll out 3.7.1" --ticket CHG-1042 --wait
            """
    )

    @Argument(help: "The operation to run (see `waveline catalog`).")
    var operation: String

    @Option(name: .long, help: "Select a cluster (repeatable).") var cluster: [String] = []
    @Option(name: [.customLong("env"), .customLong("environment")], help: "Select an environment (repeatable).") var environment: [String] = []
    @Option(name: .long, help: "Select a product (repeatable).") var product: [String] = []
    @Option(name: .long, help: "Select nodes with this label, as key=value (repeatable).") var label: [String] = []
    @Option(name: .long, help: "Select a node by name (repeatable).") var node: [String] = []
    @Option(name: [.customShort("p"), .customLong("param")], help: "A parameter, as name=value (repeatable).") var parameters: [String] = []
    @Option(name: .long, help: "The strategy (see `waveline catalog`).") var strategy: String = Strategy.lightningThunder.name
    @Option(name: .long, help: "Why this change is made (required).") var reason: String
    @Option(name: .long, help: "The change ticket.") var ticket: String?
    @Flag(name: .long, help: "If a selected node is busy in another deployment, wait for it instead of refusing.") var queue = false
    @Flag(name: .long, help: "Stay and show live progress until the deployment ends; exit non-zero unless it succeeds.") var wait = false
    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func pairs(_ values: [String], option: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for value in values {
            guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
                throw ValidationError("--\(option) takes name=value, got '\(value)'")
            }
            result[String(value[..<equals])] = String(value[value.index(after: equals)...])
        }
        return result
    }

    func run() async throws {
        let selection = Selection(
            clusters: cluster, environments: environment, products: product,
            labels: try pairs(label, option: "label"), nodes: node
        )
        let body = CreateDeploymentBody(
            operation: operation, selection: selection, parameters: try pairs(parameters, option: "param"),
            strategy: strategy, reason: reason, ticket: ticket, queue: queue
        )
        let api = client.client
        let detail = try await reporting { try await api.post("/api/v1/deployments", body: body, as: DeploymentDetail.self) }
        if json && !wait {
            try printJSON(detail)
            return
        }
        if !json {
            let phases = detail.phases.map { "\($0.name) (\($0.counts.total))" }.joined(separator: " → ")
            print("Deployment #\(detail.deployment.id) \(detail.deployment.status.rawValue): \(detail.deployment.operation) on \(counted(detail.deployment.targetCount, "node")), \(phases)")
            if let reason = detail.deployment.statusReason { print(TerminalText.neutralized("  \(reason)")) }
        }
        if wait {
            let final = try await StatusCommand.watch(detail.deployment.id, api: api, json: json)
            if final.deployment.status != .succeeded { throw ExitCode(1) }
        } else if !json {
            print("Follow it: waveline status \(detail.deployment.id) --watch   ·   waveline logs \(detail.deployment.id) --follow")
        }
    }
}

extension StatusCounts {
    var total: Int { pending + running + succeeded + failed + skipped + cancelled + interrupted }
    var settled: Int { succeeded + failed + skipped + cancelled }
}

import ArgumentParser
import Foundation
import WavelineCore
import WavelineAPI

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show recent deployments, or one deployment's phases, nodes and failure point."
    )

    @Argument(help: "A deployment id; without it, the recent deployments.") var id: Int64?
    @Flag(name: .long, help: "Keep showing live progress until the deployment ends.") var watch = false
    @Option(name: .long, help: "With no id: only this environment.") var env: String?
    @Option(name: .long, help: "With no id: only this product.") var product: String?
    @Option(name: .long, help: "With no id: only these states (comma-separated).") var state: String?
    @Option(name: .long, help: "With no id: how many.") var limit: Int = 20
    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = client.client
        guard let id else {
            var query = ["limit=\(limit)"]
            if let env { query.append("environment=\(env)") }
            if let product { query.append("product=\(product)") }
            if let state { query.append("status=\(state)") }
            let list = try await reporting { try await api.get("/api/v1/deployments?" + query.joined(separator: "&"), as: DeploymentList.self) }
            if json { try printJSON(list) } else { print(StatusRenderer.list(list.deployments)) }
            return
        }
        if watch {
            let final = try await Self.watch(id, api: api, json: json)
            if final.deployment.status != .succeeded && final.deployment.status.isFinal { throw ExitCode(1) }
            return
        }
        let detail = try await reporting { try await api.get("/api/v1/deployments/\(id)", as: DeploymentDetail.self) }
        if json { try printJSON(detail) } else { print(StatusRenderer.detail(detail, now: Date().timeIntervalSince1970)) }
    }

    /// Redraws the status about once a second until the deployment reaches a final state (or halts/pauses and
    /// waits for a person), then prints it a last time.
    static func watch(_ id: Int64, api: APIClient, json: Bool) async throws -> DeploymentDetail {
        let terminal = isatty(STDOUT_FILENO) == 1 && !json
        var lastShown = ""
        while true {
            let detail: DeploymentDetail
            do {
                detail = try await api.get("/api/v1/deployments/\(id)", as: DeploymentDetail.self)
            } catch let error as APIClient.Failure {
                throw CLIError(error.description)
            }
            let status = detail.deployment.status
            let waitingForPerson = status == .halted || status == .paused
                || detail.phases.contains { $0.status == .gate && $0.gate == "manual" && $0.approvedBy == nil }
            let done = status.isFinal || waitingForPerson
            if json {
                if done { try printJSON(detail) }
            } else {
                let text = StatusRenderer.detail(detail, now: Date().timeIntervalSince1970)
                if terminal {
                    print("\u{1B}[H\u{1B}[2J" + text)
                } else if StatusRenderer.progressLine(detail) != lastShown || done {
                    // Not a terminal: one line per change, then the full status at the end.
                    lastShown = StatusRenderer.progressLine(detail)
                    print(done ? text : lastShown)
                }
                fflush(nil)
            }
            if done {
                if waitingForPerson && !status.isFinal && !json {
                    let hint = status == .pendingApproval ? "approve it with `waveline approve \(id)`" : "approve the gate with `waveline approve \(id)`"
                    print(TerminalText.neutralized("Waiting for a person: " + (detail.deployment.statusReason.map { "\($0); \(hint)" } ?? hint)))
                }
                return detail
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}

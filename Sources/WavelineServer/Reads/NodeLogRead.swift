import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineStore

/// One node's log as its page shows it: the deployment, the node's runs and steps, and its lines (at most
/// `lineLimit`).
struct NodeLogRead: Sendable {
    let reader: any DeploymentReader

    /// One try of a step or check, as the page's table shows it.
    struct StepRow: Sendable {
        var stage: StepStage
        var name: String
        var attempt: Int
        /// `running`, `succeeded`, `failed`, `timed_out`, `cancelled`, `interrupted`.
        var status: String
        var exitCode: Int32?
        var reason: String?
        var startedAt: Double
        var finishedAt: Double?
    }

    struct NodeLog: Sendable {
        var deployment: DeploymentSummary
        var targets: [TargetView]
        /// In the order they started.
        var steps: [StepRow]
        var lines: [LogLineView]
        /// Whether more lines are stored than were read.
        var truncated: Bool
    }

    /// For a caller who may read the deployment (404, 403 otherwise).
    func log(of node: String, in id: Int64, lineLimit: Int, context: WavelineRequestContext) async throws -> NodeLog {
        let record = try await DeploymentAccess(reader: reader).authorizeRead(id, context: context)
        let targets = try await reader.targets(of: id).filter { $0.node == node }
        guard !targets.isEmpty else { throw APIError(.notFound, "node \(node.callerQuoted) is not part of deployment #\(id)") }
        var steps: [StepRunRecord] = []
        for target in targets { steps += try await reader.stepRuns(of: id, target: target.targetIndex) }
        let records = try await reader.logLines(of: id, targets: targets.map(\.targetIndex), afterID: 0, limit: lineLimit)
        return NodeLog(
            deployment: DeploymentSummary(record), targets: targets.map(TargetView.init),
            steps: steps.sorted { ($0.startedAt, $0.targetIndex) < ($1.startedAt, $1.targetIndex) }.map { run in
                StepRow(
                    stage: run.stage, name: run.name, attempt: run.attempt, status: run.status.rawValue, exitCode: run.exitCode,
                    reason: run.reason, startedAt: run.startedAt, finishedAt: run.finishedAt
                )
            },
            lines: records.map { LogLineView($0, node: node) }, truncated: records.count == lineLimit
        )
    }
}

import HTTPTypes
import WavelineCore
import WavelineStore

/// What Waveline last put on nodes, and a node's runs: the inventory routes and pages read them here. The
/// inventory itself (which nodes exist, and who may see them) is the workspace's.
struct InventoryRead: Sendable {
    let reader: any DeploymentReader

    /// Every node's state, by node name (one query for all).
    func states() async throws -> [String: NodeStateView] {
        Dictionary(try await reader.nodeStates().map { ($0.node, NodeStateView($0)) }, uniquingKeysWith: { $1 })
    }

    struct History: Sendable {
        var state: NodeStateView?
        /// Newest first.
        var runs: [NodeRunView]
        /// Where the next page starts; nil on the last page.
        var nextBefore: String?
    }

    /// A node's state and a page of its runs, strictly older than `before` (`12` or `12-3`) when given;
    /// `invalidBefore` says what is wrong with a cursor that is not one. The caller has checked the node's
    /// cluster may be read.
    func history(of node: String, limit: Int, before: String?, invalidBefore: (String) -> APIError) async throws -> History {
        var cursor: NodeRunCursor?
        if let before {
            guard let parsed = NodeRunCursor(before) else { throw invalidBefore(before) }
            cursor = parsed
        }
        let state = try await reader.nodeState(named: node)
        let runs = try await reader.nodeHistory(node: node, limit: limit, before: cursor)
        return History(
            state: state.map(NodeStateView.init), runs: runs.map(NodeRunView.init),
            nextBefore: runs.count == limit ? runs.last?.cursor.description : nil
        )
    }
}

/// One node's log as its page shows it: the deployment, the node's runs and steps, and its lines (at most
/// `lineLimit`).
struct NodeLogRead: Sendable {
    let reader: any DeploymentReader

    struct NodeLog: Sendable {
        var deployment: DeploymentSummary
        var targets: [TargetView]
        var steps: [StepRunRecord]
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
            steps: steps.sorted { ($0.startedAt, $0.targetIndex) < ($1.startedAt, $1.targetIndex) },
            lines: records.map { LogLineView($0, node: node) }, truncated: records.count == lineLimit
        )
    }
}

import HTTPTypes
import WavelineAPI
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

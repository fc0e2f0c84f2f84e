import WavelineAPI
import WavelineCore
import WavelineServer

extension DeploymentDetail {
    public func target(_ node: String, kind: TargetKind = .deploy) -> TargetView? {
        targets.last { $0.node == node && $0.kind == kind }
    }

    /// Nodes that have started at least once (running or beyond).
    public var startedNodes: Set<String> {
        Set(targets.filter { $0.kind == .deploy && $0.status != .pending }.map(\.node))
    }
}

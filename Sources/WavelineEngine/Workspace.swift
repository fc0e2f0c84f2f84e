import WavelineCore

/// What deployments are made from: the inventory, the operation catalog and the strategies, as read from
/// their files when the server starts.
public struct Workspace: Sendable {
    public var inventory: Inventory
    public var operations: [Operation]
    public var strategies: [Strategy]

    public init(inventory: Inventory, operations: [Operation], strategies: [Strategy]) {
        self.inventory = inventory
        self.operations = operations
        self.strategies = strategies
    }

    func operation(named name: String) throws(EngineError) -> Operation {
        guard let operation = operations.first(where: { $0.name == name }) else {
            throw EngineError(.invalidRequest, "unknown operation \(name.callerQuoted); the catalog has: \(operations.map(\.name).sorted().joined(separator: ", "))")
        }
        return operation
    }

    func strategy(named name: String) throws(EngineError) -> Strategy {
        guard let strategy = strategies.first(where: { $0.name == name }) else {
            throw EngineError(.invalidRequest, "unknown strategy \(name.callerQuoted); known: \(strategies.map(\.name).sorted().joined(separator: ", "))")
        }
        return strategy
    }

    /// Variables a node's steps see: environment, then cluster, then node, the most specific winning.
    func variables(for node: Node) -> [String: String] {
        guard let cluster = inventory.cluster(named: node.cluster) else { return node.variables }
        let environment = inventory.environment(named: cluster.environment)?.variables ?? [:]
        return environment.merging(cluster.variables) { $1 }.merging(node.variables) { $1 }
    }

    /// A node's secret references: the environment's, then the cluster's, then the node's own (later win).
    func secrets(for node: Node) -> [String: SecretReference]? {
        let cluster = inventory.cluster(named: node.cluster)
        let environment = cluster.flatMap { inventory.environment(named: $0.environment) }
        let merged = (environment?.secrets ?? [:]).merging(cluster?.secrets ?? [:]) { $1 }.merging(node.secrets ?? [:]) { $1 }
        return merged.isEmpty ? nil : merged
    }

    /// Every secret reference in the inventory, to learn their values for masking before any step runs.
    var allSecretReferences: [SecretReference] {
        inventory.environments.flatMap { ($0.secrets ?? [:]).values }
            + inventory.clusters.flatMap { ($0.secrets ?? [:]).values }
            + inventory.nodes.flatMap { ($0.secrets ?? [:]).values }
    }
}

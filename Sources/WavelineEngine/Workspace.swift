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

/// A request for a deployment, as a person makes it.
public struct DeploymentRequest: Sendable, Hashable, Codable {
    public var operation: String
    public var selection: Selection
    public var parameters: [String: String]
    public var strategy: String
    public var reason: String
    public var ticket: String?
    public var requestedBy: String
    /// Wait for busy nodes instead of refusing.
    public var queue: Bool
    /// Where the request came from (the client's address), for the audit trail; nil when unknown.
    public var origin: String?

    public init(
        operation: String, selection: Selection, parameters: [String: String] = [:],
        strategy: String = Strategy.lightningThunder.name, reason: String, ticket: String? = nil,
        requestedBy: String, queue: Bool = false, origin: String? = nil
    ) {
        self.origin = origin
        self.operation = operation
        self.selection = selection
        self.parameters = parameters
        self.strategy = strategy
        self.reason = reason
        self.ticket = ticket
        self.requestedBy = requestedBy
        self.queue = queue
    }
}

/// Where a deployment acts, and the role its operation requires (see `Engine.scope(of:)`).
public struct DeploymentScope: Sendable, Hashable {
    public struct Place: Sendable, Hashable {
        public var environment: String
        public var product: String
        public init(environment: String, product: String) {
            self.environment = environment
            self.product = product
        }
    }

    public var places: [Place]
    public var requiredRole: Role
}

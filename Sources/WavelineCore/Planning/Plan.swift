/// What a deployment will do, computed once when it is created and stored with it: which node runs in which
/// phase and batch. Later changes to the inventory or strategy files do not change a deployment under way.
public struct Plan: Sendable, Hashable, Codable {
    public var phases: [PlannedPhase]
    /// Index = target index; each selected node appears exactly once.
    public var targets: [PlannedTarget]
    /// Failures tolerated over the whole deployment, resolved to a count.
    public var failureBudget: Int

    public init(phases: [PlannedPhase], targets: [PlannedTarget], failureBudget: Int) {
        self.phases = phases
        self.targets = targets
        self.failureBudget = failureBudget
    }
}

public struct PlannedPhase: Sendable, Hashable, Codable {
    public var name: String
    public var gate: PhaseSpec.Gate
    public var parallelism: Int
    /// Failures tolerated within this phase, resolved to a count; nil when only the deployment's applies.
    public var failureBudget: Int?
    /// Target indices, batch by batch; batches run one after another.
    public var batches: [[Int]]

    public init(name: String, gate: PhaseSpec.Gate, parallelism: Int, failureBudget: Int?, batches: [[Int]]) {
        self.name = name
        self.gate = gate
        self.parallelism = parallelism
        self.failureBudget = failureBudget
        self.batches = batches
    }

    public var targetIndices: [Int] { batches.flatMap { $0 } }
}

/// One node's place in the plan, with the facts a run needs even if the node later leaves the inventory.
public struct PlannedTarget: Sendable, Hashable, Codable {
    public var node: Node
    public var environment: String
    public var product: String
    public var phase: Int
    public var batch: Int

    public init(node: Node, environment: String, product: String, phase: Int, batch: Int) {
        self.node = node
        self.environment = environment
        self.product = product
        self.phase = phase
        self.batch = batch
    }
}

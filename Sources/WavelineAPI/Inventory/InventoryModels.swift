import WavelineCore

// The JSON shapes of the inventory routes: clusters, nodes, what Waveline last put on a node and its history.

public struct NodeView: Codable, Sendable {
    public var name: String
    public var cluster: String
    public var environment: String
    public var product: String
    public var zone: String
    public var labels: [String: String]
    /// The unfinished deployment holding it, if any.
    public var busyWith: Int64?
    /// What Waveline last put there; absent on a node no deployment has finished on yet.
    public var state: NodeStateView? = nil

    public init(name: String, cluster: String, environment: String, product: String, zone: String, labels: [String: String], busyWith: Int64?, state: NodeStateView? = nil) {
        self.name = name
        self.cluster = cluster
        self.environment = environment
        self.product = product
        self.zone = zone
        self.labels = labels
        self.busyWith = busyWith
        self.state = state
    }
}

public struct NodeList: Codable, Sendable {
    public var nodes: [NodeView]

    public init(nodes: [NodeView]) {
        self.nodes = nodes
    }
}

/// What Waveline last put on a node: the last deploy run there that succeeded or failed.
public struct NodeStateView: Codable, Sendable, Hashable {
    public var deploymentId: Int64
    public var operation: String
    /// How that run ended: `succeeded` or `failed`.
    public var outcome: TargetStatus
    public var finishedAt: Double
    /// The run's `version` parameter, when its operation has one.
    public var version: String?
    /// SHA-256 (hex) of the parameters and node variables the run applied.
    public var configDigest: String

    public init(deploymentId: Int64, operation: String, outcome: TargetStatus, finishedAt: Double, version: String?, configDigest: String) {
        self.deploymentId = deploymentId
        self.operation = operation
        self.outcome = outcome
        self.finishedAt = finishedAt
        self.version = version
        self.configDigest = configDigest
    }
}

public struct ClusterView: Codable, Sendable {
    public var name: String
    public var product: String
    public var environment: String
    public var zones: [String]
    public var nodes: [NodeView]

    public init(name: String, product: String, environment: String, zones: [String], nodes: [NodeView]) {
        self.name = name
        self.product = product
        self.environment = environment
        self.zones = zones
        self.nodes = nodes
    }
}

public struct ClusterList: Codable, Sendable {
    public var clusters: [ClusterView]

    public init(clusters: [ClusterView]) {
        self.clusters = clusters
    }
}

/// One run of an operation on a node, as a node's history lists it.
public struct NodeRunView: Codable, Sendable {
    public var deploymentId: Int64
    /// The run's index in its deployment (a deployment rolled back holds two runs of a node).
    public var targetIndex: Int
    public var kind: TargetKind
    public var status: TargetStatus
    public var attempt: Int
    public var operation: String
    public var deploymentStatus: DeploymentStatus
    public var requestedBy: String
    public var version: String?
    public var currentStep: String?
    public var failure: FailurePoint?
    public var startedAt: Double?
    public var finishedAt: Double?

    public init(
        deploymentId: Int64, targetIndex: Int, kind: TargetKind, status: TargetStatus, attempt: Int, operation: String,
        deploymentStatus: DeploymentStatus, requestedBy: String, version: String?, currentStep: String?,
        failure: FailurePoint?, startedAt: Double?, finishedAt: Double?
    ) {
        self.deploymentId = deploymentId
        self.targetIndex = targetIndex
        self.kind = kind
        self.status = status
        self.attempt = attempt
        self.operation = operation
        self.deploymentStatus = deploymentStatus
        self.requestedBy = requestedBy
        self.version = version
        self.currentStep = currentStep
        self.failure = failure
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

public struct NodeDetail: Codable, Sendable {
    public var node: NodeView
    /// Newest first.
    public var history: [NodeRunView]
    /// Pass as `before` to get older runs; absent on the last page.
    public var nextBefore: String?

    public init(node: NodeView, history: [NodeRunView], nextBefore: String?) {
        self.node = node
        self.history = history
        self.nextBefore = nextBefore
    }
}

import WavelineCore

/// What Waveline last put on a node: the last deploy run there that succeeded or failed. Written in the same
/// commit as that run's final target record.
public struct NodeStateRecord: Sendable, Hashable, Codable {
    public var node: String
    public var cluster: String
    public var environment: String
    public var product: String
    /// The deployment whose run this was.
    public var deploymentId: Int64
    public var operation: String
    /// How that run ended (`succeeded` or `failed`).
    public var outcome: TargetStatus
    public var finishedAt: Double
    /// The run's `version` parameter, when the operation has one.
    public var version: String?
    /// A digest of the parameters and node variables the run applied: equal digests, equal configuration.
    public var configDigest: String

    public init(
        node: String, cluster: String, environment: String, product: String, deploymentId: Int64,
        operation: String, outcome: TargetStatus, finishedAt: Double, version: String?, configDigest: String
    ) {
        self.node = node
        self.cluster = cluster
        self.environment = environment
        self.product = product
        self.deploymentId = deploymentId
        self.operation = operation
        self.outcome = outcome
        self.finishedAt = finishedAt
        self.version = version
        self.configDigest = configDigest
    }

    /// Column names, spelled out: no key conversion per field per row on the write path.
    enum CodingKeys: String, CodingKey {
        case node, cluster, environment, product, deploymentId = "deployment_id", operation, outcome, finishedAt = "finished_at", version, configDigest = "config_digest"
    }
}

/// One run of an operation on a node (a target of some deployment), with what a node's history shows of its
/// deployment.
public struct NodeRunRecord: Sendable, Hashable, Codable {
    public var deploymentId: Int64
    public var targetIndex: Int
    public var node: String
    public var cluster: String
    public var zone: String
    public var environment: String
    public var product: String
    public var kind: TargetKind
    public var phaseIndex: Int
    public var status: TargetStatus
    public var attempt: Int
    public var currentStep: String?
    var failureJson: String?
    public var startedAt: Double?
    public var finishedAt: Double?
    public var operation: String
    public var deploymentStatus: DeploymentStatus
    public var requestedBy: String
    var parametersJson: String

    public var failure: FailurePoint? { failureJson.flatMap { try? JSONText.decode(FailurePoint.self, from: $0) } }
    public var parameters: [String: String] { (try? JSONText.decode([String: String].self, from: parametersJson)) ?? [:] }
    /// Where the next page of a history starts.
    public var cursor: NodeRunCursor { NodeRunCursor(deploymentId: deploymentId, targetIndex: targetIndex) }

    /// Column names as the history query selects them.
    enum CodingKeys: String, CodingKey {
        case deploymentId = "deployment_id", targetIndex = "target_index", node, cluster, zone, environment, product, kind, phaseIndex = "phase_index", status, attempt, currentStep = "current_step", failureJson = "failure_json", startedAt = "started_at", finishedAt = "finished_at", operation, deploymentStatus = "deployment_status", requestedBy = "requested_by", parametersJson = "parameters_json"
    }
}

/// A position in a node's history (newest first): runs strictly older than it follow. A deployment may hold
/// two runs of one node (its deploy run and its rollback run), so the position names the run, not only the
/// deployment. Written `<deployment>` (before every run of that deployment) or `<deployment>-<target>`.
public struct NodeRunCursor: Sendable, Hashable, Codable, LosslessStringConvertible {
    public var deploymentId: Int64
    /// nil: before every run of the deployment.
    public var targetIndex: Int?

    public init(deploymentId: Int64, targetIndex: Int? = nil) {
        self.deploymentId = deploymentId
        self.targetIndex = targetIndex
    }

    public init?(_ description: String) {
        let parts = description.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let deployment = Int64(parts[0]), deployment > 0 else { return nil }
        if parts.count == 2 {
            guard let target = Int(parts[1]), target >= 0 else { return nil }
            self.init(deploymentId: deployment, targetIndex: target)
        } else {
            self.init(deploymentId: deployment)
        }
    }

    public var description: String { targetIndex.map { "\(deploymentId)-\($0)" } ?? "\(deploymentId)" }
}

/// Filters for reading the event trail in id order, after a cursor.
public struct EventQuery: Sendable, Hashable {
    public var deploymentID: Int64?
    /// Exact kinds (`deployment.created`, `action.approve`); any of them. Empty: every kind.
    public var kinds: [String]
    public var actor: String?
    /// Kinds starting with this (`action.`, `auth.`).
    public var kindPrefix: String?
    public var afterID: Int64
    /// Only events older than this id (paging back through the trail, newest first).
    public var beforeID: Int64?
    public var newestFirst: Bool
    public var limit: Int

    public init(
        deploymentID: Int64? = nil, kinds: [String] = [], actor: String? = nil, kindPrefix: String? = nil,
        afterID: Int64 = 0, beforeID: Int64? = nil, newestFirst: Bool = false, limit: Int = 100
    ) {
        self.deploymentID = deploymentID
        self.kinds = kinds
        self.actor = actor
        self.kindPrefix = kindPrefix
        self.afterID = afterID
        self.beforeID = beforeID
        self.newestFirst = newestFirst
        self.limit = limit
    }
}

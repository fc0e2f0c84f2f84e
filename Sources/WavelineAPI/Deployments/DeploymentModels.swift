import WavelineCore

// The JSON shapes of deployments: what creates one, what lists and shows one. The server maps its records to
// them (WavelineServer/API/WireMapping); the CLI decodes them.

public struct CreateDeploymentBody: Codable, Sendable {
    public var operation: String
    public var selection: Selection
    public var parameters: [String: String]?
    public var strategy: String?
    public var reason: String
    public var ticket: String?
    public var queue: Bool?

    /// Who asks is who signed in (the API token or session); the body does not say.
    public init(operation: String, selection: Selection, parameters: [String: String]?, strategy: String?, reason: String, ticket: String?, queue: Bool?) {
        self.operation = operation
        self.selection = selection
        self.parameters = parameters
        self.strategy = strategy
        self.reason = reason
        self.ticket = ticket
        self.queue = queue
    }
}

public struct DeploymentSummary: Codable, Sendable {
    public var id: Int64
    public var operation: String
    public var strategy: String
    public var selection: String
    public var environments: [String]
    public var products: [String]
    public var parameters: [String: String]
    public var requestedBy: String
    public var reason: String
    public var ticket: String?
    public var status: DeploymentStatus
    public var statusReason: String?
    public var currentPhase: Int
    public var targetCount: Int
    public var failureBudget: Int
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Protected environments it touches (absent when none): it needs a second person's approval.
    public var protectedEnvironments: [String]?
    public var approvedBy: String?
    public var approvedAt: Double?
    /// The ticket as checked in Jira when it was requested; absent when no ticket policy applied.
    public var jiraTicket: JiraTicketView?

    public init(
        id: Int64, operation: String, strategy: String, selection: String, environments: [String], products: [String],
        parameters: [String: String], requestedBy: String, reason: String, ticket: String?, status: DeploymentStatus,
        statusReason: String?, currentPhase: Int, targetCount: Int, failureBudget: Int, createdAt: Double,
        startedAt: Double?, finishedAt: Double?, protectedEnvironments: [String]?, approvedBy: String?, approvedAt: Double?,
        jiraTicket: JiraTicketView? = nil
    ) {
        self.id = id
        self.operation = operation
        self.strategy = strategy
        self.selection = selection
        self.environments = environments
        self.products = products
        self.parameters = parameters
        self.requestedBy = requestedBy
        self.reason = reason
        self.ticket = ticket
        self.status = status
        self.statusReason = statusReason
        self.currentPhase = currentPhase
        self.targetCount = targetCount
        self.failureBudget = failureBudget
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.protectedEnvironments = protectedEnvironments
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
        self.jiraTicket = jiraTicket
    }
}

public struct DeploymentList: Codable, Sendable {
    public var deployments: [DeploymentSummary]
    /// Pass as `before` to get the next page; absent on the last page.
    public var nextBefore: Int64?

    public init(deployments: [DeploymentSummary], nextBefore: Int64?) {
        self.deployments = deployments
        self.nextBefore = nextBefore
    }
}

public struct StatusCounts: Codable, Sendable, Hashable {
    public var pending = 0
    public var running = 0
    public var succeeded = 0
    public var failed = 0
    public var skipped = 0
    public var cancelled = 0
    public var interrupted = 0

    public init() {}

    public mutating func add(_ status: TargetStatus) {
        switch status {
        case .pending: pending += 1
        case .running: running += 1
        case .succeeded: succeeded += 1
        case .failed: failed += 1
        case .skipped: skipped += 1
        case .cancelled: cancelled += 1
        case .interrupted: interrupted += 1
        }
    }
}

public struct PhaseView: Codable, Sendable {
    public var index: Int
    public var name: String
    public var kind: TargetKind
    public var status: PhaseStatus
    public var gate: String
    public var gateOpensAt: Double?
    public var approvedBy: String?
    public var parallelism: Int
    public var failureBudget: Int?
    /// Node names, batch by batch.
    public var batches: [[String]]
    public var counts: StatusCounts
    public var startedAt: Double?
    public var finishedAt: Double?

    public init(
        index: Int, name: String, kind: TargetKind, status: PhaseStatus, gate: String, gateOpensAt: Double?,
        approvedBy: String?, parallelism: Int, failureBudget: Int?, batches: [[String]], counts: StatusCounts,
        startedAt: Double?, finishedAt: Double?
    ) {
        self.index = index
        self.name = name
        self.kind = kind
        self.status = status
        self.gate = gate
        self.gateOpensAt = gateOpensAt
        self.approvedBy = approvedBy
        self.parallelism = parallelism
        self.failureBudget = failureBudget
        self.batches = batches
        self.counts = counts
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

public struct TargetView: Codable, Sendable {
    public var index: Int
    public var node: String
    public var cluster: String
    public var zone: String
    public var environment: String
    public var product: String
    public var kind: TargetKind
    public var phase: Int
    public var batch: Int
    public var status: TargetStatus
    public var attempt: Int
    public var currentStep: String?
    public var failure: FailurePoint?
    public var startedAt: Double?
    public var finishedAt: Double?

    public init(
        index: Int, node: String, cluster: String, zone: String, environment: String, product: String, kind: TargetKind,
        phase: Int, batch: Int, status: TargetStatus, attempt: Int, currentStep: String?, failure: FailurePoint?,
        startedAt: Double?, finishedAt: Double?
    ) {
        self.index = index
        self.node = node
        self.cluster = cluster
        self.zone = zone
        self.environment = environment
        self.product = product
        self.kind = kind
        self.phase = phase
        self.batch = batch
        self.status = status
        self.attempt = attempt
        self.currentStep = currentStep
        self.failure = failure
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

/// Where a node failed, with the last lines of its log: the first thing a person on call reads.
public struct FailureView: Codable, Sendable {
    public var node: String
    public var stage: StepStage
    public var step: String
    public var exitCode: Int32?
    public var reason: String
    public var lastLines: [LogLineView]

    public init(node: String, stage: StepStage, step: String, exitCode: Int32?, reason: String, lastLines: [LogLineView]) {
        self.node = node
        self.stage = stage
        self.step = step
        self.exitCode = exitCode
        self.reason = reason
        self.lastLines = lastLines
    }
}

public struct DeploymentDetail: Codable, Sendable {
    public var deployment: DeploymentSummary
    public var phases: [PhaseView]
    public var targets: [TargetView]
    public var failures: [FailureView]
    public var counts: StatusCounts

    public init(deployment: DeploymentSummary, phases: [PhaseView], targets: [TargetView], failures: [FailureView], counts: StatusCounts) {
        self.deployment = deployment
        self.phases = phases
        self.targets = targets
        self.failures = failures
        self.counts = counts
    }
}

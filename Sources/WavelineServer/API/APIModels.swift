import WavelineCore
import WavelineEngine
import WavelineStore

/// The JSON shapes of the HTTP API, shared by the server and the CLI so both sides agree by construction.

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

public struct ActionBody: Codable, Sendable {
    public var nodes: [String]?
    public var reason: String?

    public init(nodes: [String]? = nil, reason: String? = nil) {
        self.nodes = nodes
        self.reason = reason
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

    public init(_ record: DeploymentRecord) {
        id = record.id
        operation = record.operation
        strategy = record.strategy
        selection = record.selection.summary
        environments = record.environments.split(separator: ",").map(String.init)
        products = record.products.split(separator: ",").map(String.init)
        parameters = record.parameters
        requestedBy = record.requestedBy
        reason = record.reason
        ticket = record.ticket
        status = record.status
        statusReason = record.statusReason
        currentPhase = record.currentPhase
        targetCount = record.targetCount
        failureBudget = record.failureBudget
        createdAt = record.createdAt
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        let protected = record.protectedEnvironmentList
        protectedEnvironments = protected.isEmpty ? nil : protected
        approvedBy = record.approvedBy
        approvedAt = record.approvedAt
    }
}

public struct DeploymentList: Codable, Sendable {
    public var deployments: [DeploymentSummary]
    /// Pass as `before` to get the next page; absent on the last page.
    public var nextBefore: Int64?
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

    mutating func add(_ status: TargetStatus) {
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

    init(_ record: TargetRecord) {
        index = record.targetIndex
        node = record.node
        cluster = record.cluster
        zone = record.zone
        environment = record.environment
        product = record.product
        kind = record.kind
        phase = record.phaseIndex
        batch = record.batchIndex
        status = record.status
        attempt = record.attempt
        currentStep = record.currentStep
        failure = record.failure
        startedAt = record.startedAt
        finishedAt = record.finishedAt
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
}

public struct DeploymentDetail: Codable, Sendable {
    public var deployment: DeploymentSummary
    public var phases: [PhaseView]
    public var targets: [TargetView]
    public var failures: [FailureView]
    public var counts: StatusCounts
}

public struct LogLineView: Codable, Sendable, Hashable {
    public var id: Int64
    public var node: String
    public var seq: Int
    public var time: Double
    public var stream: String
    public var step: String?
    public var text: String
}

/// How `GET /deployments/{id}/logs/stream` frames lines: `lines`, an `event: log` per line (the default), or
/// `batches`, an `event: lines` per batch of up to `LogBatchView.maximumLines` lines, for followers of busy logs.
public enum LogStreamFormat: String, Codable, Sendable, CaseIterable {
    case lines
    case batches
}

/// The data of an `event: lines`: consecutive log lines, in runs that share a node, a stream and a step.
public struct LogBatchView: Codable, Sendable, Hashable {
    public static let maximumLines = 1000

    public struct Run: Codable, Sendable, Hashable {
        public var node: String
        public var stream: String
        public var step: String?
        public var lines: [Line]
    }

    /// A line of a run, as the array `[id, seq, time, text]`.
    public struct Line: Codable, Sendable, Hashable {
        public var id: Int64
        public var seq: Int
        public var time: Double
        public var text: String

        public init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            id = try fields.decode(Int64.self)
            seq = try fields.decode(Int.self)
            time = try fields.decode(Double.self)
            text = try fields.decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var fields = encoder.unkeyedContainer()
            try fields.encode(id)
            try fields.encode(seq)
            try fields.encode(time)
            try fields.encode(text)
        }
    }

    public var runs: [Run]

    /// The lines, each as the `LogLineView` an `event: log` carries.
    public var lines: [LogLineView] {
        runs.flatMap { run in
            run.lines.map { LogLineView(id: $0.id, node: run.node, seq: $0.seq, time: $0.time, stream: run.stream, step: run.step, text: $0.text) }
        }
    }
}

public struct LogPage: Codable, Sendable {
    public var lines: [LogLineView]
    /// Pass as `after` to continue.
    public var cursor: Int64
    public var deploymentStatus: DeploymentStatus
}

public struct EventView: Codable, Sendable {
    public var id: Int64
    public var deploymentId: Int64?
    public var time: Double
    public var actor: String
    public var kind: String
    public var message: String

    init(_ record: EventRecord) {
        id = record.id
        deploymentId = record.deploymentId
        time = record.time
        actor = record.actor
        kind = record.kind
        message = record.message
    }
}

public struct EventList: Codable, Sendable {
    public var events: [EventView]
    /// Pass as `after` to continue: the last event's id, or the `after` given when there is none.
    public var cursor: Int64
}

public struct OperationList: Codable, Sendable {
    public var operations: [OperationView]
}

public struct StrategyList: Codable, Sendable {
    public var strategies: [StrategyView]
}

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
}

public struct NodeList: Codable, Sendable {
    public var nodes: [NodeView]
}

/// The one shape of every error response.
public struct ErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var status: Int
        public var message: String
    }
    public var error: Detail
}

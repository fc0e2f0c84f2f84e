import WavelineCore

/// Rows of the store, shaped for reading back as they were written. Nested values (the operation snapshot,
/// the plan) are JSON text so the schema stays the same on every backend; those columns are the store's own
/// (`*Json`, internal), and records show them decoded (`parameters`, `gate`, `failure`, ...).

public struct DeploymentRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var operation: String
    /// The operation as it was when the deployment was created, so catalog edits never change a run.
    var operationJson: String
    public var strategy: String
    var parametersJson: String
    var selectionJson: String
    /// Comma-joined, for filtering and display.
    public var environments: String
    public var products: String
    public var requestedBy: String
    public var reason: String
    public var ticket: String?
    public var status: DeploymentStatus
    public var statusReason: String?
    public var currentPhase: Int
    public var failureBudget: Int
    public var targetCount: Int
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var updatedAt: Double
    /// Who approved a deployment to a protected environment (never its requester), and when.
    public var approvedBy: String?
    public var approvedAt: Double?
    /// The protected environments the deployment touches, comma-joined; nil or empty when none: then it needs
    /// no approval, and its manual gates no second person.
    public var protectedEnvironments: String?
    /// The real values of the parameters shown as `********` in `parametersJson` (sensitive ones, and values
    /// equal to a secret), sealed by the engine (AES-GCM with a key kept apart from the database); nil when none.
    public var sealedParameters: String?
    /// The Jira ticket as checked when the deployment was requested (`ticket` is its key as Jira answered); nil
    /// when no ticket policy applied. Columns `ticket_*` (migration 010).
    public var ticketIssueId: String?
    public var ticketProject: String?
    public var ticketStatus: String?
    public var ticketURL: String?
    public var ticketRequested: String?
    public var ticketCheckedAt: Double?

    public init(
        id: Int64, operation: Operation, strategy: String, parameters: [String: String], selection: Selection,
        environments: [String], products: [String], requestedBy: String, reason: String, ticket: String?,
        status: DeploymentStatus, failureBudget: Int, targetCount: Int, createdAt: Double
    ) {
        self.id = id
        self.operation = operation.name
        self.operationJson = JSONText.encode(operation)
        self.strategy = strategy
        self.parametersJson = JSONText.encode(parameters)
        self.selectionJson = JSONText.encode(selection)
        self.environments = environments.joined(separator: ",")
        self.products = products.joined(separator: ",")
        self.requestedBy = requestedBy
        self.reason = reason
        self.ticket = ticket
        self.status = status
        self.statusReason = nil
        self.currentPhase = 0
        self.failureBudget = failureBudget
        self.targetCount = targetCount
        self.createdAt = createdAt
        self.startedAt = nil
        self.finishedAt = nil
        self.updatedAt = createdAt
    }

    public func decodedOperation() throws -> Operation { try JSONText.decode(Operation.self, from: operationJson) }
    /// The parameters as shown (sensitive values as `********`; the real ones are in `sealedParameters`).
    public var parameters: [String: String] {
        get { (try? JSONText.decodeMemoized([String: String].self, from: parametersJson)) ?? [:] }
        set { parametersJson = JSONText.encode(newValue) }
    }
    public var selection: Selection { (try? JSONText.decodeMemoized(Selection.self, from: selectionJson)) ?? Selection() }

    /// Column names, spelled out: no key conversion per field per row on the write path.
    enum CodingKeys: String, CodingKey {
        case id, operation, operationJson = "operation_json", strategy, parametersJson = "parameters_json", selectionJson = "selection_json", environments, products, requestedBy = "requested_by", reason, ticket, status, statusReason = "status_reason", currentPhase = "current_phase", failureBudget = "failure_budget", targetCount = "target_count", createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at", updatedAt = "updated_at", approvedBy = "approved_by", approvedAt = "approved_at", protectedEnvironments = "protected_environments", sealedParameters = "sealed_parameters"
        case ticketIssueId = "ticket_issue_id", ticketProject = "ticket_project", ticketStatus = "ticket_status", ticketURL = "ticket_url", ticketRequested = "ticket_requested", ticketCheckedAt = "ticket_checked_at"
    }

    /// The ticket as checked in Jira when the deployment was requested; nil when no ticket policy applied.
    public var checkedTicket: CheckedTicket? {
        get {
            guard let key = ticket, let issueID = ticketIssueId, let project = ticketProject, let url = ticketURL,
                  let checkedAt = ticketCheckedAt else { return nil }
            return CheckedTicket(facts: TicketFacts(key: key, issueID: issueID, project: project, status: ticketStatus, url: url),
                                 requestedKey: ticketRequested, checkedAt: checkedAt)
        }
        set {
            if let checked = newValue { ticket = checked.facts.key }
            ticketIssueId = newValue?.facts.issueID
            ticketProject = newValue?.facts.project
            ticketStatus = newValue?.facts.status
            ticketURL = newValue?.facts.url
            ticketRequested = newValue?.requestedKey
            ticketCheckedAt = newValue?.checkedAt
        }
    }

    /// The protected environments it touches, as a list.
    public var protectedEnvironmentList: [String] {
        (protectedEnvironments ?? "").split(separator: ",").map(String.init)
    }
}

public struct PhaseRecord: Sendable, Hashable, Codable {
    public var deploymentId: Int64
    public var phaseIndex: Int
    public var name: String
    public var kind: TargetKind
    var gateJson: String
    public var parallelism: Int
    public var failureBudget: Int?
    var batchesJson: String
    public var status: PhaseStatus
    public var gateOpensAt: Double?
    public var approvedBy: String?
    public var startedAt: Double?
    public var finishedAt: Double?

    public init(deploymentId: Int64, index: Int, state: PhaseState) {
        self.deploymentId = deploymentId
        self.phaseIndex = index
        self.name = state.name
        self.kind = state.kind
        self.gateJson = JSONText.encode(state.gate)
        self.parallelism = state.parallelism
        self.failureBudget = state.failureBudget
        self.batchesJson = JSONText.encode(state.batches)
        self.status = state.status
        self.gateOpensAt = state.gateOpensAt
        self.approvedBy = state.approvedBy
    }

    /// What opens the phase once the one before has finished.
    public var gate: PhaseSpec.Gate {
        get { (try? JSONText.decodeMemoized(PhaseSpec.Gate.self, from: gateJson)) ?? .automatic }
        set { gateJson = JSONText.encode(newValue) }
    }

    /// Target indices, batch by batch; empty when read without them (`DeploymentOverview`).
    public var batches: [[Int]] {
        get { (try? JSONText.decode([[Int]].self, from: batchesJson)) ?? [] }
        set { batchesJson = JSONText.encode(newValue) }
    }

    public var state: PhaseState {
        PhaseState(
            name: name, kind: kind,
            gate: gate, parallelism: parallelism, failureBudget: failureBudget, batches: batches,
            status: status, gateOpensAt: gateOpensAt, approvedBy: approvedBy
        )
    }

    /// Column names, spelled out: no key conversion per field per row on the write path.
    enum CodingKeys: String, CodingKey {
        case deploymentId = "deployment_id", phaseIndex = "phase_index", name, kind, gateJson = "gate_json", parallelism, failureBudget = "failure_budget", batchesJson = "batches_json", status, gateOpensAt = "gate_opens_at", approvedBy = "approved_by", startedAt = "started_at", finishedAt = "finished_at"
    }
}

public struct TargetRecord: Sendable, Hashable, Codable {
    public var deploymentId: Int64
    public var targetIndex: Int
    public var node: String
    public var cluster: String
    public var zone: String
    public var environment: String
    public var product: String
    /// The node as planned (connection, variables, labels), so a run does not depend on today's inventory.
    var nodeJson: String
    public var kind: TargetKind
    public var phaseIndex: Int
    public var batchIndex: Int
    public var status: TargetStatus
    /// How many times this node's run was started.
    public var attempt: Int
    public var currentStep: String?
    var failureJson: String?
    public var startedAt: Double?
    public var finishedAt: Double?

    public init(deploymentId: Int64, index: Int, target: PlannedTarget, kind: TargetKind = .deploy) {
        self.deploymentId = deploymentId
        self.targetIndex = index
        self.node = target.node.name
        self.cluster = target.node.cluster
        self.zone = target.node.zone
        self.environment = target.environment
        self.product = target.product
        self.nodeJson = JSONText.encode(target.node)
        self.kind = kind
        self.phaseIndex = target.phase
        self.batchIndex = target.batch
        self.status = .pending
        self.attempt = 0
    }

    public func decodedNode() throws -> Node { try JSONText.decode(Node.self, from: nodeJson) }

    public var failure: FailurePoint? {
        get { failureJson.flatMap { try? JSONText.decodeMemoized(FailurePoint.self, from: $0) } }
        set { failureJson = newValue.map { JSONText.encode($0) } }
    }

    /// Column names, spelled out: no key conversion per field per row on the write path.
    enum CodingKeys: String, CodingKey {
        case deploymentId = "deployment_id", targetIndex = "target_index", node, cluster, zone, environment, product, nodeJson = "node_json", kind, phaseIndex = "phase_index", batchIndex = "batch_index", status, attempt, currentStep = "current_step", failureJson = "failure_json", startedAt = "started_at", finishedAt = "finished_at"
    }
}

public enum StepRunStatus: String, Sendable, Hashable, Codable {
    case running
    case succeeded
    case failed
    case timedOut = "timed_out"
    case cancelled
    /// Recorded as started but never finished: the server stopped while it ran.
    case interrupted
}

/// One try of one step or check on one node.
public struct StepRunRecord: Sendable, Hashable, Codable {
    public var deploymentId: Int64
    public var targetIndex: Int
    public var stage: StepStage
    public var stepIndex: Int
    public var attempt: Int
    public var name: String
    public var status: StepRunStatus
    public var exitCode: Int32?
    public var reason: String?
    public var startedAt: Double
    public var finishedAt: Double?

    public init(
        deploymentId: Int64, targetIndex: Int, stage: StepStage, stepIndex: Int, attempt: Int, name: String,
        startedAt: Double
    ) {
        self.deploymentId = deploymentId
        self.targetIndex = targetIndex
        self.stage = stage
        self.stepIndex = stepIndex
        self.attempt = attempt
        self.name = name
        self.status = .running
        self.startedAt = startedAt
    }

    /// Column names, spelled out: no key conversion per field per row on the write path.
    enum CodingKeys: String, CodingKey {
        case deploymentId = "deployment_id", targetIndex = "target_index", stage, stepIndex = "step_index", attempt, name, status, exitCode = "exit_code", reason, startedAt = "started_at", finishedAt = "finished_at"
    }
}

/// One line of a node's log. `id` orders all lines of the store and is the cursor readers resume from.
public struct LogLineRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var deploymentId: Int64
    public var targetIndex: Int
    /// Per node run, from 1, in the order lines were read.
    public var seq: Int
    public var time: Double
    /// Stored as its raw value.
    public var stream: LogStream
    public var step: String?
    public var text: String

    public init(
        id: Int64, deploymentId: Int64, targetIndex: Int, seq: Int, time: Double, stream: LogStream, step: String?,
        text: String
    ) {
        self.id = id
        self.deploymentId = deploymentId
        self.targetIndex = targetIndex
        self.seq = seq
        self.time = time
        self.stream = stream
        self.step = step
        self.text = text
    }

    /// Column names, spelled out: no key conversion per field per row on the write path.
    enum CodingKeys: String, CodingKey {
        case id, deploymentId = "deployment_id", targetIndex = "target_index", seq, time, stream, step, text
    }
}

/// A state change or a person's action, appended and never edited: who (`actor`), what (`kind`, `message`),
/// when (`time`), from where (`origin`) and why (`reason`, `ticket`). Each row is chained to the one before by
/// `prevHash` and `hash` (see `AuditChain`), which the store's writer computes as it assigns the id.
public struct EventRecord: Sendable, Hashable, Codable {
    /// Assigned by the store when written.
    public var id: Int64
    public var deploymentId: Int64?
    public var time: Double
    public var actor: String
    public var kind: String
    public var message: String
    /// The client's address for a person's action, `engine` for the server's own transitions.
    public var origin: String?
    /// Why, in the person's words, when they gave a reason.
    public var reason: String?
    /// The change ticket the action belongs to, when there is one.
    public var ticket: String?
    /// The previous event's hash (`AuditChain.genesis` for the first); assigned by the store.
    public var prevHash: String?
    /// SHA-256 over this event's canonical encoding, hex; assigned by the store.
    public var hash: String?

    public init(
        deploymentId: Int64?, time: Double, actor: String, kind: String, message: String,
        origin: String = AuditChain.engineOrigin, reason: String? = nil, ticket: String? = nil
    ) {
        self.id = 0
        self.deploymentId = deploymentId
        self.time = time
        self.actor = actor
        self.kind = kind
        self.message = message
        self.origin = origin
        self.reason = reason
        self.ticket = ticket
    }

    /// Column names, spelled out: no key conversion per field per row on the write path.
    enum CodingKeys: String, CodingKey {
        case id, deploymentId = "deployment_id", time, actor, kind, message, origin, reason, ticket, prevHash = "prev_hash", hash
    }
}

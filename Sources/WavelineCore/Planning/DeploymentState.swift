/// The life of a deployment. `running ⇄ paused`; it ends `succeeded | finished_with_failures | failed | cancelled`
/// (or stops `halted` for a person), or after a rollback `rolled_back`. `queued` waits for busy nodes to be released. `pending_approval`: a deployment to a
/// protected environment waits for a second person's approval; it holds no nodes until approved.
public enum DeploymentStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pendingApproval = "pending_approval"
    case queued
    case running
    case paused
    /// Failure budget spent: nothing new starts; a person may retry or skip failed nodes and resume.
    case halted
    case succeeded
    /// Every node was tried and some failed, within the failure budget: the change is out, but not everywhere.
    /// A person may retry the failed nodes (the deployment runs again, on them only) or roll back. Its own
    /// status, not `failed`, because it is not one: the budget said these failures are acceptable, and what
    /// can be done next differs.
    case finishedWithFailures = "finished_with_failures"
    /// It could not finish: its rollback failed on some node, or it cannot run at all (its stored operation or
    /// sealed parameters are unreadable).
    case failed
    case cancelled
    case rollingBack = "rolling_back"
    case rolledBack = "rolled_back"

    /// No further work will happen without a person; the nodes are released.
    public var isFinal: Bool {
        switch self {
        case .succeeded, .finishedWithFailures, .failed, .cancelled, .rolledBack: return true
        case .pendingApproval, .queued, .running, .paused, .halted, .rollingBack: return false
        }
    }

    /// The scheduler may start work in these states.
    public var isActive: Bool { self == .running || self == .rollingBack }
}

public enum PhaseStatus: String, Sendable, Hashable, Codable {
    case pending
    case running
    /// Done; waiting at its gate (a bake time, or a person's approval) before the next phase.
    case gate
    case completed
}

public enum TargetStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case running
    case succeeded
    case failed
    case skipped
    case cancelled
    /// A step was running when the server stopped and the operation is not idempotent: a person decides.
    case interrupted

    /// Finished for the purpose of moving on (a person may still retry a failed one).
    public var isSettled: Bool {
        switch self {
        case .succeeded, .failed, .skipped, .cancelled: return true
        case .pending, .running, .interrupted: return false
        }
    }
}

public enum TargetKind: String, Sendable, Hashable, Codable {
    case deploy
    case rollback
}

public struct PhaseState: Sendable, Hashable, Codable {
    public var name: String
    public var kind: TargetKind
    public var gate: PhaseSpec.Gate
    public var parallelism: Int
    public var failureBudget: Int?
    public var batches: [[Int]]
    public var status: PhaseStatus
    /// For a bake gate: when the next phase may start (seconds since 1970).
    public var gateOpensAt: Double?
    /// For a manual gate: who approved it.
    public var approvedBy: String?

    public init(
        name: String, kind: TargetKind = .deploy, gate: PhaseSpec.Gate, parallelism: Int, failureBudget: Int?,
        batches: [[Int]], status: PhaseStatus = .pending, gateOpensAt: Double? = nil, approvedBy: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.gate = gate
        self.parallelism = parallelism
        self.failureBudget = failureBudget
        self.batches = batches
        self.status = status
        self.gateOpensAt = gateOpensAt
        self.approvedBy = approvedBy
    }
}

public struct TargetState: Sendable, Hashable, Codable {
    public var node: String
    public var kind: TargetKind
    public var phase: Int
    public var batch: Int
    public var status: TargetStatus

    public init(node: String, kind: TargetKind = .deploy, phase: Int, batch: Int, status: TargetStatus = .pending) {
        self.node = node
        self.kind = kind
        self.phase = phase
        self.batch = batch
        self.status = status
    }
}

/// What the scheduler needs to know about a deployment: statuses only, no logs, no I/O.
public struct DeploymentState: Sendable, Hashable, Codable {
    public var status: DeploymentStatus
    public var phases: [PhaseState]
    public var targets: [TargetState]
    public var failureBudget: Int
    public var currentPhase: Int

    public init(
        status: DeploymentStatus, phases: [PhaseState], targets: [TargetState], failureBudget: Int,
        currentPhase: Int = 0
    ) {
        self.status = status
        self.phases = phases
        self.targets = targets
        self.failureBudget = failureBudget
        self.currentPhase = currentPhase
    }

    /// The initial state of a planned deployment.
    public init(plan: Plan, status: DeploymentStatus = .running) {
        self.init(
            status: status,
            phases: plan.phases.map {
                PhaseState(name: $0.name, gate: $0.gate, parallelism: $0.parallelism,
                           failureBudget: $0.failureBudget, batches: $0.batches)
            },
            targets: plan.targets.map { TargetState(node: $0.node.name, phase: $0.phase, batch: $0.batch) },
            failureBudget: plan.failureBudget
        )
    }

    public func count(_ status: TargetStatus, kind: TargetKind = .deploy, phase: Int? = nil) -> Int {
        targets.reduce(0) { total, target in
            total + (target.status == status && target.kind == kind && (phase == nil || target.phase == phase) ? 1 : 0)
        }
    }
}

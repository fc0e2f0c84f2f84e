/// What the rules know of a deployment that has no driver: it waits for approval, is queued, or is finished.
public struct ParkedDeployment: Sendable, Hashable {
    public var id: Int64
    public var status: DeploymentStatus
    public var requestedBy: String
    public var operationName: String
    /// Its operation has rollback steps (false when the stored operation cannot be read).
    public var hasRollbackSteps: Bool
    public var wasRolledBack: Bool
    /// Some node completed the operation (a deploy run succeeded): there is something to roll back.
    public var anyNodeCompleted: Bool
    /// Each node's latest run status (a rollback run if there is one): which nodes a retry may name.
    public var nodeStatuses: [String: TargetStatus]

    public init(
        id: Int64, status: DeploymentStatus, requestedBy: String, operationName: String, hasRollbackSteps: Bool,
        wasRolledBack: Bool, anyNodeCompleted: Bool, nodeStatuses: [String: TargetStatus] = [:]
    ) {
        self.id = id
        self.status = status
        self.requestedBy = requestedBy
        self.operationName = operationName
        self.hasRollbackSteps = hasRollbackSteps
        self.wasRolledBack = wasRolledBack
        self.anyNodeCompleted = anyNodeCompleted
        self.nodeStatuses = nodeStatuses
    }
}

/// The rules for a person's action on a deployment with no driver. Only an approval or an abort touches one
/// that waits (for approval, or in the queue); a rollback brings a finished one back, and a retry brings back
/// one that finished with failed nodes, to run those nodes again.
public enum ParkedCommandRules {
    public enum Decision: Sendable, Hashable {
        /// A second person approves it (`DeploymentApproval` decides the rest).
        case approveDeployment
        /// It ends before it started: cancelled with every node, saying so.
        case abortWaiting(statusReason: String)
        /// A driver takes it up again to roll back, once its nodes are free (`rollbackBlocked`).
        case reopenForRollback
        /// A driver takes it up again (paused, its finish time cleared), once its nodes are free
        /// (`reopeningBlocked`), and the retry goes to that driver: `nodes` (every failed one when the person
        /// named none) run again; the rest keep their outcome. It then ends succeeded, or finished with
        /// failures again.
        case reopenForRetry(nodes: [String])
    }

    /// `nodes`: the nodes the person named (a retry of some of the failed nodes); none means all that apply.
    public static func decide(_ action: OperatorAction, nodes: [String] = [], by actor: String, on deployment: ParkedDeployment) -> Result<Decision, Refusal> {
        let id = deployment.id
        if deployment.status == .pendingApproval && action == .approve { return .success(.approveDeployment) }
        if deployment.status == .queued || deployment.status == .pendingApproval {
            guard action == .abort else {
                if deployment.status == .pendingApproval {
                    return .failure(Refusal(.conflict, "deployment #\(id) is waiting for approval; it can only be approved (by someone other than \(deployment.requestedBy)) or aborted"))
                }
                return .failure(Refusal(.conflict, "deployment #\(id) is queued; it can only be aborted until it starts"))
            }
            return .success(.abortWaiting(statusReason: "aborted by \(actor) while \(deployment.status == .queued ? "queued" : "waiting for approval")"))
        }
        if action == .retry && deployment.status == .finishedWithFailures {
            return retryDecision(nodes: nodes, on: deployment)
        }
        guard action == .rollback else {
            return .failure(Refusal(.conflict, "cannot \(action.rawValue) deployment #\(id): it is \(deployment.status.rawValue)"))
        }
        guard deployment.hasRollbackSteps else {
            return .failure(Refusal(.conflict, "cannot roll back deployment #\(id): operation '\(deployment.operationName)' has no rollback steps"))
        }
        guard !deployment.wasRolledBack else {
            return .failure(Refusal(.conflict, "cannot roll back deployment #\(id): it was already rolled back"))
        }
        guard deployment.anyNodeCompleted else {
            return .failure(Refusal(.conflict, "cannot roll back deployment #\(id): no node completed the operation"))
        }
        return .success(.reopenForRollback)
    }

    /// Which failed nodes run again: the named ones, each of which must be in the deployment and failed, or
    /// every failed one.
    static func retryDecision(nodes: [String], on deployment: ParkedDeployment) -> Result<Decision, Refusal> {
        let id = deployment.id
        let failed = deployment.nodeStatuses.filter { $0.value == .failed }.keys.sorted()
        guard !nodes.isEmpty else {
            guard !failed.isEmpty else { return .failure(Refusal(.conflict, "deployment #\(id) has no failed node")) }
            return .success(.reopenForRetry(nodes: failed))
        }
        for name in nodes {
            guard let status = deployment.nodeStatuses[name] else {
                return .failure(Refusal(.notFound, "node '\(name)' is not part of deployment #\(id)"))
            }
            guard status == .failed else {
                return .failure(Refusal(.conflict, "node '\(name)' is \(status.rawValue) in deployment #\(id); only failed nodes qualify"))
            }
        }
        return .success(.reopenForRetry(nodes: unique(nodes)))
    }

    /// A rollback of a finished deployment needs all its nodes free; refused naming the first busy one.
    public static func rollbackBlocked(deployment id: Int64, firstBusy: BusyNode?) -> Refusal? {
        reopeningBlocked(.rollback, deployment: id, firstBusy: firstBusy)
    }

    /// A finished deployment taken up again (a rollback, a retry of its failed nodes) needs all its nodes free:
    /// its driver holds them and their connections until it ends. Refused naming the first busy one.
    public static func reopeningBlocked(_ action: OperatorAction, deployment id: Int64, firstBusy: BusyNode?) -> Refusal? {
        firstBusy.map {
            let verb = action == .rollback ? "roll back" : action.rawValue
            return Refusal(.conflict, "cannot \(verb) deployment #\(id): node \($0.node) is busy in deployment #\($0.holder)")
        }
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

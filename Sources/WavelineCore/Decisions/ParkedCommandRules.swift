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

    public init(
        id: Int64, status: DeploymentStatus, requestedBy: String, operationName: String, hasRollbackSteps: Bool,
        wasRolledBack: Bool, anyNodeCompleted: Bool
    ) {
        self.id = id
        self.status = status
        self.requestedBy = requestedBy
        self.operationName = operationName
        self.hasRollbackSteps = hasRollbackSteps
        self.wasRolledBack = wasRolledBack
        self.anyNodeCompleted = anyNodeCompleted
    }
}

/// The rules for a person's action on a deployment with no driver. Only an approval or an abort touches one
/// that waits (for approval, or in the queue); only a rollback brings a finished one back.
public enum ParkedCommandRules {
    public enum Decision: Sendable, Hashable {
        /// A second person approves it (`DeploymentApproval` decides the rest).
        case approveDeployment
        /// It ends before it started: cancelled with every node, saying so.
        case abortWaiting(statusReason: String)
        /// A driver takes it up again to roll back, once its nodes are free (`rollbackBlocked`).
        case reopenForRollback
    }

    public static func decide(_ action: OperatorAction, by actor: String, on deployment: ParkedDeployment) -> Result<Decision, Refusal> {
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

    /// A rollback of a finished deployment needs all its nodes free; refused naming the first busy one.
    public static func rollbackBlocked(deployment id: Int64, firstBusy: BusyNode?) -> Refusal? {
        firstBusy.map { Refusal(.conflict, "cannot roll back deployment #\(id): node \($0.node) is busy in deployment #\($0.holder)") }
    }
}

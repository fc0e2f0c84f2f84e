extension OperatorAction {
    /// The permission an operator action needs on a deployment in `status`: `approve` lets a deployment to a
    /// protected environment start, or opens a manual gate.
    public func permission(deploymentStatus status: DeploymentStatus) -> Action {
        switch self {
        case .pause: return .pause
        case .resume: return .resume
        case .abort: return .abort
        case .retry: return .retry
        case .skip: return .skip
        case .rollback: return .rollback
        case .approve: return status == .pendingApproval ? .approveDeployment : .approveGate
        }
    }
}

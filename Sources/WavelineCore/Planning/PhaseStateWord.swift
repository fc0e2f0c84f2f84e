extension PhaseStatus {
    /// The state a phase is shown in, read with its deployment's: a phase the engine left `running` is not
    /// running while its deployment is halted, paused or was cancelled, and a phase that never started in a
    /// deployment that ended never will. Pages and the CLI show this word; the API keeps the stored status.
    public func word(in deployment: DeploymentStatus) -> String {
        switch self {
        case .running, .gate:
            if deployment == .halted { return "halted" }
            if deployment == .paused { return "paused" }
            if deployment == .cancelled { return "stopped" }
            if deployment.isFinal { return self == .gate ? "completed" : "stopped" }
            return rawValue
        case .pending:
            return deployment.isFinal ? "not run" : rawValue
        case .completed:
            return rawValue
        }
    }
}

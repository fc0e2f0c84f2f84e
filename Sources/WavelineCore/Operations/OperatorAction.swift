/// What a person can do to a deployment under way.
public enum OperatorAction: String, Sendable, Hashable, Codable, CaseIterable {
    case pause
    case resume
    case abort
    /// Failed (or interrupted) nodes run again, from the step that did not finish.
    case retry
    /// The named nodes are left out; they no longer count as failures.
    case skip
    /// Opens a manual gate.
    case approve
    /// Runs the rollback steps on the nodes that completed.
    case rollback
}

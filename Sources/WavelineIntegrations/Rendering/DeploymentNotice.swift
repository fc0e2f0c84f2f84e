import WavelineAPI
import WavelineCore

/// Something that happened to a deployment and is told in its Slack thread (and, for the start and the end, on its
/// Jira ticket). The deployment itself comes beside it as a `DeploymentDetail`, read after the event.
public enum DeploymentNotice: Sendable {
    /// It touches a protected environment and waits for a second person.
    case approvalNeeded
    /// A phase is done and the next waits at its gate (a manual approval, or a bake until `gateOpensAt`).
    case gateWaiting(phase: Int)
    /// A node failed: where, with its last log lines (from `DeploymentDetail.failures`).
    case failure(FailureView)
    /// A person paused, resumed, aborted, or started a rollback; `reason` as they typed it.
    case operatorAction(OperatorAction, by: String, reason: String?)
    /// It is over (`deployment.status` is final): the outcome and its duration.
    case outcome
}

/// Where and why a node's run failed: what `status` shows first.
public struct FailurePoint: Sendable, Hashable, Codable {
    public var stage: StepStage
    public var step: String
    public var exitCode: Int32?
    public var reason: String

    public init(stage: StepStage, step: String, exitCode: Int32?, reason: String) {
        self.stage = stage
        self.step = step
        self.exitCode = exitCode
        self.reason = reason
    }
}

/// Which part of a node's run a step belongs to.
public enum StepStage: String, Sendable, Hashable, Codable {
    case preCheck = "pre_check"
    case step
    case postCheck = "post_check"
    case rollback

    /// The stage in words, as pages, Slack and Jira say it ("failed at post-check health").
    public var word: String {
        switch self {
        case .preCheck: return "pre-check"
        case .step: return "step"
        case .postCheck: return "post-check"
        case .rollback: return "rollback step"
        }
    }
}

/// What a restarted server learnt from a node about a step that was running when the last one died.
public enum RunSettlement: Sendable, Hashable {
    /// It ran to its end, with this exit code.
    case finished(exitCode: Int32)
    /// It did not run to its end; nothing of it runs any more.
    case notFinished
    /// The node could not be asked (the sentence says why): it may still run there.
    case unknown(String)
}

/// What an interrupted run becomes after a restart, and what its node does next. Pure: recovery asks the
/// nodes (`Executor.settle`), then decides with this, stores, and resumes.
public enum InterruptedRuns {
    /// The recorded end of one run that was cut by the restart.
    public struct RunVerdict: Sendable, Hashable {
        public enum Outcome: Sendable, Hashable {
            /// It ran to its end before the server could record it: recorded, never run again.
            case succeeded
            case interrupted
        }
        public var outcome: Outcome
        public var exitCode: Int32?
        /// Why it is interrupted; nil when it succeeded.
        public var reason: String?
        /// It may have changed the node (a step or a rollback step that did not end cleanly).
        public var mayHaveChangedNode: Bool
        /// The node could not be asked: why.
        public var unknown: String?
        /// A line for the node's log saying why the step is done without its end having been seen.
        public var logLine: String?
    }

    /// `settlement` is nil when the node was not asked (a check, or a node whose record cannot be read).
    public static func verdict(step name: String, stage: StepStage, settlement: RunSettlement?) -> RunVerdict {
        let changesNode = stage == .step || stage == .rollback
        switch settlement {
        case .finished(0)? where changesNode:
            // Not "succeeded" right after the name: the step's own end line may be stored already (logs are
            // stored before the state that follows them), and this line says something else.
            return RunVerdict(
                outcome: .succeeded, exitCode: 0, reason: nil, mayHaveChangedNode: false, unknown: nil,
                logLine: "■ step '\(name)' recorded as succeeded after a restart: it ended before its end was stored (exit code 0 found on the node); not run again"
            )
        case .finished(let code)? where changesNode:
            // A failure seen only after the server died may be its doing (a step writing to the dead server's
            // pipes gets SIGPIPE): interrupted, as if it had not ended.
            return RunVerdict(
                outcome: .interrupted, exitCode: code,
                reason: "the server stopped while it ran; it then ended with code \(code), perhaps because its output had nowhere to go",
                mayHaveChangedNode: true, unknown: nil, logLine: nil
            )
        case .unknown(let why)? where changesNode:
            return RunVerdict(
                outcome: .interrupted, exitCode: nil,
                reason: "the server stopped while it ran; whether it still runs on the node is unknown: \(why)",
                mayHaveChangedNode: true, unknown: why, logLine: nil
            )
        default:
            return RunVerdict(outcome: .interrupted, exitCode: nil, reason: "the server stopped while it ran", mayHaveChangedNode: changesNode, unknown: nil, logLine: nil)
        }
    }

    /// What the node does next.
    public enum NodeVerdict: Sendable, Hashable {
        /// It runs again from the step that did not finish.
        case pending
        /// A person decides (retry or skip): it is stopped here, saying why.
        case interrupted(FailurePoint)
    }

    /// `runs` are the node's cut runs in order, `lastStep` the name of the last; `idempotent` is false when the
    /// operation cannot be read. Runs again when nothing may have changed the node, or the operation may be
    /// repeated; never when a step may still run there.
    public static func node(runs: [RunVerdict], lastStep: String?, idempotent: Bool) -> NodeVerdict {
        let step = lastStep ?? "?"
        if let unknown = runs.compactMap(\.unknown).last {
            return .interrupted(FailurePoint(stage: .step, step: step, exitCode: nil, reason: "interrupted by a server restart, and the node could not be checked (\(unknown)): the step may still run there, so a person decides: retry or skip"))
        }
        if runs.contains(where: \.mayHaveChangedNode) && !idempotent {
            return .interrupted(FailurePoint(stage: .step, step: step, exitCode: nil, reason: "interrupted by a server restart; the operation is not idempotent, so a person decides: retry or skip"))
        }
        return .pending
    }
}

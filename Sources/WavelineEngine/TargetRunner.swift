import Synchronization
import WavelineCore
import WavelineExecutors
import WavelineStore

/// Set when a person aborts: lets a node's run tell an abort (record "cancelled") from a server shutdown
/// (record nothing, so the restart sees the step as interrupted).
final class AbortSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    var isAborted: Bool { flag.load(ordering: .acquiring) }
    func abort() { flag.store(true, ordering: .releasing) }
}

/// Everything one node's run needs, fixed when it starts.
struct TargetJob: Sendable {
    var deploymentID: Int64
    var target: TargetRecord
    var node: Node
    var operation: Operation
    /// The real values, given to the steps.
    var parameters: [String: String]
    /// As stored and shown: hidden values (sensitive, or equal to a secret) are `********`.
    var shownParameters: [String: String]
    /// This node's earlier step runs: steps that succeeded are not run again. Read from the store when the
    /// node runs again (a retry, or a resume after a restart); a first run has none.
    var history: [StepRunRecord]
    /// The node's secrets, read when it starts; exported to its steps, never stored.
    var secrets: [String: String] = [:]
}

enum TargetOutcome: Sendable {
    case succeeded
    case failed(FailurePoint)
    case cancelled
    /// The server is stopping: nothing more is recorded for this node.
    case stopped
    /// The store refused this node's records (a full disk) even after retries: the driver marks the node and
    /// pauses the deployment, saying why.
    case storeFailed(String)
}

/// Runs an operation on one node: pre-checks, the steps not yet done, post-checks (or the rollback steps).
///
/// The runner stores its node's transitions itself, two commits per node at best: a step's start is committed
/// before its command starts (with the node marked running on the first one); a step's end, with its log
/// flushed, is committed with the next step's start, or with the node's outcome after the last one. A crash
/// between a command's end and that commit leaves the step started-but-unfinished: the restart asks the node
/// (`Executor.settle`), which ends what still runs of it and tells whether it had ended, from the exit code the
/// step's wrapper wrote there; a step that had ended is recorded as finished, not run again.
struct TargetRunner: Sendable {
    let store: any DeploymentStore
    let logs: LogPipeline
    let executor: any Executor
    let abort: AbortSignal
    let time: any TimeSource

    func run(_ job: TargetJob) async -> (TargetOutcome, TargetRecord) {
        var job = job
        if job.target.attempt > 1 {
            do {
                job.history = try await store.stepRuns(of: job.deploymentID, target: job.target.targetIndex)
            } catch {
                // Without the history we cannot know which steps already ran: do not run any.
                return (.failed(FailurePoint(stage: .step, step: "-", exitCode: nil, reason: "could not read this node's earlier steps: \(error)")), job.target)
            }
        }
        var runner = Run(job: job, base: self)
        let outcome = await runner.execute()
        var target = runner.job.target
        target.finishedAt = time.now()
        switch outcome {
        case .succeeded: target.status = .succeeded
        case .failed(let failure):
            target.status = .failed
            target.failure = failure
        case .cancelled: target.status = .cancelled
        case .stopped, .storeFailed: return (outcome, target)
        }
        // What Waveline last put on the node is committed with the run's outcome, never apart from it.
        var changes = runner.unsaved + [.saveTarget(target)]
        if let state = NodeStateRecord(job: job, finished: target, now: time.now()) { changes.append(.saveNodeState(state)) }
        // A store that refuses a write (a full disk) may take it a moment later: a few tries, then the driver
        // is told, so the node is never left "running" with nobody running it.
        var failure = "unknown"
        for attempt in 0..<Self.commitTries {
            if attempt > 0 {
                do { try await Task.sleep(for: Self.commitRetryDelay * (1 << min(attempt - 1, 3))) } catch { return (.stopped, target) }
            }
            guard await logs.flush() else {
                failure = "its log lines could not be stored: \(logs.storeFailure ?? "unknown")"
                continue
            }
            do {
                try await store.write(changes)
                return (outcome, target)
            } catch {
                failure = "\(error)"
            }
        }
        return (.storeFailed("its outcome (\(target.status.rawValue)) could not be stored after \(Self.commitTries) tries: \(failure)"), target)
    }

    /// How often a node's final commit is tried, and the first pause between tries (doubled up to 8 times).
    static let commitTries = 5
    static let commitRetryDelay: Duration = .milliseconds(250)

    private struct Run {
        var job: TargetJob
        let base: TargetRunner
        var attempts: [String: Int] = [:]
        /// Finished step records not yet committed: they go with the next commit.
        var unsaved: [StoreChange] = []

        init(job: TargetJob, base: TargetRunner) {
            self.job = job
            self.base = base
            for run in job.history {
                let key = Self.key(run.stage, run.stepIndex)
                attempts[key] = max(attempts[key] ?? 0, run.attempt)
            }
        }

        static func key(_ stage: StepStage, _ index: Int) -> String { "\(stage.rawValue)#\(index)" }

        mutating func execute() async -> TargetOutcome {
            await base.logs.prepare(deployment: job.deploymentID, target: job.target.targetIndex)
            let operation = job.operation
            if job.target.kind == .rollback {
                return await runSteps(operation.rollback, stage: .rollback)
            }
            if let failure = await runChecks(operation.preChecks, stage: .preCheck) { return failure }
            if case let outcome = await runSteps(operation.steps, stage: .step), !isSuccess(outcome) { return outcome }
            if let failure = await runChecks(operation.postChecks, stage: .postCheck) { return failure }
            return .succeeded
        }

        func isSuccess(_ outcome: TargetOutcome) -> Bool {
            if case .succeeded = outcome { return true }
            return false
        }

        mutating func runSteps(_ steps: [Step], stage: StepStage) async -> TargetOutcome {
            for (index, step) in steps.enumerated() {
                let done = job.history.contains { $0.stage == stage && $0.stepIndex == index && $0.status == .succeeded }
                if done {
                    await log(.system, "step '\(step.name)' already succeeded in an earlier attempt; not running it again", step: step.name)
                    continue
                }
                let result = await runOnce(name: step.name, command: step.command, timeout: step.timeout, stage: stage, index: index, label: "step")
                switch result {
                case .finished(let result) where result.succeeded: continue
                case .finished(let result):
                    return .failed(FailurePoint(stage: stage, step: step.name, exitCode: result.exitCode, reason: result.reason))
                case .cancelled: return .cancelled
                case .stopped: return .stopped
                case .storeFailed(let why): return .storeFailed(why)
                }
            }
            return .succeeded
        }

        /// Runs each check until it passes, `retries` more times at most; nil when all passed.
        mutating func runChecks(_ checks: [Check], stage: StepStage) async -> TargetOutcome? {
            let kind = stage == .preCheck ? "pre-check" : "post-check"
            for (index, check) in checks.enumerated() {
                let tries = check.retries + 1
                var last: CommandResult?
                for attempt in 1...tries where !(last?.succeeded ?? false) {
                    if attempt > 1 {
                        do { try await Task.sleep(for: check.interval) } catch { return base.abort.isAborted ? .cancelled : .stopped }
                    }
                    let label = tries > 1 ? "\(kind) (try \(attempt) of \(tries))" : kind
                    switch await runOnce(name: check.name, command: check.command, timeout: check.timeout, stage: stage, index: index, label: label) {
                    case .finished(let result): last = result
                    case .cancelled: return .cancelled
                    case .stopped: return .stopped
                    case .storeFailed(let why): return .storeFailed(why)
                    }
                }
                if let last, !last.succeeded {
                    return .failed(FailurePoint(
                        stage: stage, step: check.name, exitCode: last.exitCode,
                        reason: last.reason + (tries > 1 ? " (after \(tries) tries)" : "")
                    ))
                }
            }
            return nil
        }

        enum RunResult {
            case finished(CommandResult)
            case cancelled
            case stopped
            case storeFailed(String)
        }

        mutating func runOnce(
            name: String, command: Command, timeout: Duration, stage: StepStage, index: Int, label: String
        ) async -> RunResult {
            let key = Self.key(stage, index)
            // An earlier attempt the server lost track of (it stopped while that attempt ran) may still run on the
            // node when the restart could not check it; a person's retry must not start a second copy beside it.
            // It is ended first, or this attempt does not start.
            if let lost = job.history.last(where: { $0.stage == stage && $0.stepIndex == index && $0.status == .interrupted }) {
                let mark = StepMark(deployment: job.deploymentID, target: job.target.targetIndex, stage: stage.rawValue, index: index, attempt: lost.attempt)
                if case .unknown(let why) = await base.executor.settle(mark, on: job.node) {
                    return .finished(CommandResult(outcome: .couldNotStart("attempt \(lost.attempt) of '\(name)' may still run on the node and could not be ended: \(why)"), duration: .zero))
                }
            }
            let attempt = (attempts[key] ?? 0) + 1
            attempts[key] = attempt
            var record = StepRunRecord(
                deploymentId: job.deploymentID, targetIndex: job.target.targetIndex, stage: stage,
                stepIndex: index, attempt: attempt, name: name, startedAt: base.time.now()
            )
            job.target.currentStep = name
            // A finished step is committed only after its log lines are.
            if !unsaved.isEmpty, !(await base.logs.flush()) {
                return .storeFailed("the log lines of its last step could not be stored: \(base.logs.storeFailure ?? "unknown")")
            }
            do {
                try await base.store.write(unsaved + [.saveStepRun(record), .saveTarget(job.target)])
                unsaved = []
            } catch {
                // Without the record we must not run: a restart could not know this step ran.
                return .storeFailed("step '\(name)' could not be recorded as started: \(error)")
            }
            await log(.system, "▶ \(label) '\(name)' (attempt \(attempt))", step: name)

            var environment = environmentBase()
            environment["WAVELINE_STEP"] = name
            environment["WAVELINE_ATTEMPT"] = String(attempt)
            let resolved = command.resolved(values: job.parameters, environment: environment)
            let deploymentID = job.deploymentID, targetIndex = job.target.targetIndex, logs = base.logs
            // Named so that a restarted server finds this run on the node: what still runs of it, and whether it ended.
            let mark = StepMark(deployment: deploymentID, target: targetIndex, stage: stage.rawValue, index: index, attempt: attempt)
            let result = await base.executor.run(resolved, on: job.node, timeout: timeout, step: mark) { lines in
                await logs.append(deployment: deploymentID, target: targetIndex, step: name, lines: lines)
            }
            if result.outcome == .cancelled && !base.abort.isAborted {
                await base.logs.flush()
                return .stopped
            }
            await log(.system, "■ \(label) '\(name)' \(result.reason) in \(Self.format(result.duration))", step: name)

            record.finishedAt = base.time.now()
            record.exitCode = result.exitCode
            switch result.outcome {
            case .exited(0): record.status = .succeeded
            case .timedOut: record.status = .timedOut
            case .cancelled: record.status = .cancelled
            default: record.status = .failed
            }
            record.reason = result.succeeded ? nil : result.reason
            unsaved.append(.saveStepRun(record))
            return result.outcome == .cancelled ? .cancelled : .finished(result)
        }

        func environmentBase() -> [String: String] {
            var environment = job.node.variables
            environment["WAVELINE_DEPLOYMENT"] = String(job.deploymentID)
            environment["WAVELINE_NODE"] = job.node.name
            environment["WAVELINE_CLUSTER"] = job.node.cluster
            environment["WAVELINE_ZONE"] = job.node.zone
            environment["WAVELINE_ENVIRONMENT"] = job.target.environment
            environment["WAVELINE_PRODUCT"] = job.target.product
            environment["WAVELINE_OPERATION"] = job.operation.name
            for (key, value) in job.node.labels { environment[StepEnvironment.labelVariable(key)] = value }
            for (key, value) in job.parameters { environment[StepEnvironment.parameterVariable(key)] = value }
            for (key, value) in job.secrets { environment[key] = value }
            return environment
        }

        func log(_ stream: OutputLine.Stream, _ text: String, step: String?) async {
            await base.logs.append(
                deployment: job.deploymentID, target: job.target.targetIndex, step: step,
                lines: [OutputLine(stream: stream, text: text, time: base.time.now())]
            )
        }

        static func format(_ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return seconds < 1 ? "\(Int(seconds * 1000))ms" : "\(Double(Int(seconds * 10)) / 10)s"
        }
    }
}

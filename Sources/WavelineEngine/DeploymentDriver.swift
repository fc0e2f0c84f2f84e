import Synchronization
import Logging
import WavelineCore
import WavelineExecutors
import WavelineStore

/// Messages to a deployment's driver. Everything that changes a deployment arrives here, one at a time.
enum DriverEvent: Sendable {
    case targetFinished(Int, TargetOutcome, TargetRecord)
    case command(OperatorCommand, reply: CheckedContinuation<Result<Void, EngineError>, Never>)
    case tick
}

struct OperatorCommand: Sendable {
    var action: OperatorAction
    var nodes: [String]
    var actor: String
    var reason: String?
    /// Where the person acted from, for the audit trail.
    var origin: String?
}

/// Shared by every driver of one engine.
struct DriverContext: Sendable {
    let store: any DeploymentStore
    let logs: LogPipeline
    let feed: LiveFeed
    let executors: ExecutorRegistry
    let logger: Logger
    /// Reads the secrets a node's steps get.
    let vault: SecretVault
    /// Opens the real values of hidden parameters; the masker then hides them in this deployment's text.
    let seal: ParameterSeal
    let masker: SecretMasker
    /// Deployments whose latest state the store refused, with the reason: answered from memory meanwhile.
    let storeRefusals: StoreRefusals
    /// Where "now" comes from for everything the drivers store and decide.
    let time: any TimeSource
}

/// Deployment id → why the store refuses its latest state (the driver paused it): what readers are told while
/// the store cannot hold it, so the pause is visible before it can be written.
public final class StoreRefusals: Sendable {
    private let reasons = Mutex<[Int64: String]>([:])
    init() {}
    func set(_ id: Int64, _ reason: String?) { reasons.withLock { $0[id] = reason } }
    public func reason(for id: Int64) -> String? { reasons.withLock { $0[id] } }
}

/// Why a stored deployment cannot be driven: said in its status when it fails.
struct DriverSetupError: Error, CustomStringConvertible {
    var description: String
}

/// Drives one deployment: asks the scheduler for the next actions, stores each one's effect, then carries it
/// out. Owned by a single task, so its state needs no lock; other tasks talk to it through `DriverEvent`s.
struct DeploymentDriver: Sendable {
    var deployment: DeploymentRecord
    var phases: [PhaseRecord]
    var targets: [TargetRecord]
    var state: DeploymentState
    let operation: Operation
    let parameters: [String: String]
    /// Nodes as planned, decoded once from their records.
    var nodes: [Int: Node] = [:]
    let context: DriverContext
    let abort = AbortSignal()
    var running: [Int: Task<Void, Never>] = [:]
    var timer: Task<Void, Never>?
    var timerAt: Double?
    /// Changes the store refused (a full disk), written again before anything else is decided.
    var unstored: [StoreChange] = []

    init(deployment: DeploymentRecord, phases: [PhaseRecord], targets: [TargetRecord], context: DriverContext) throws {
        self.deployment = deployment
        self.phases = phases
        self.targets = targets
        do {
            self.operation = try deployment.decodedOperation()
        } catch {
            throw DriverSetupError(description: "its stored operation '\(deployment.operation)' is unreadable (\(error))")
        }
        var parameters = deployment.parameters
        if let sealed = deployment.sealedParameters {
            let hidden: [String: String]
            do {
                hidden = try context.seal.open(sealed, deployment: deployment.id)
            } catch {
                throw DriverSetupError(description: "\(error)")
            }
            for (name, value) in hidden {
                parameters[name] = value
                context.masker.learn(value, deployment: deployment.id)
            }
        }
        self.parameters = parameters
        self.context = context
        self.state = DeploymentState(
            status: deployment.status,
            phases: phases.map(\.state),
            targets: targets.map { TargetState(node: $0.node, kind: $0.kind, phase: $0.phaseIndex, batch: $0.batchIndex, status: $0.status) },
            failureBudget: deployment.failureBudget,
            currentPhase: deployment.currentPhase
        )
    }

    /// Runs until the deployment reaches a final state with nothing running, or until the task is cancelled
    /// (server shutdown), in which case running commands are ended and nothing more is recorded: the next start
    /// finds those steps interrupted.
    mutating func run(events: AsyncStream<DriverEvent>, inbox: AsyncStream<DriverEvent>.Continuation) async {
        await advance(inbox: inbox)
        var iterator = events.makeAsyncIterator()
        while !(deployment.status.isFinal && running.isEmpty), let event = await iterator.next() {
            await handle(event, inbox: inbox)
            await advance(inbox: inbox)
        }
        // Whoever is still waiting on an answer gets one.
        inbox.finish()
        while let event = await iterator.next() {
            if case .command(_, let reply) = event {
                reply.resume(returning: .failure(.unhandledAtEnd(of: deployment.id)))
            }
        }
        timer?.cancel()
        for task in running.values { task.cancel() }
        for task in running.values { await task.value }
        await context.logs.flush()
        // The deployment is over (or the server stops): executors let go of its nodes' connections.
        await context.executors.release(nodes: targets.compactMap { try? $0.decodedNode() })
    }

    // MARK: - Scheduler actions

    mutating func advance(inbox: AsyncStream<DriverEvent>.Continuation) async {
        // Changes the store refused come first: nothing is decided on top of what is not stored.
        if !unstored.isEmpty {
            do {
                try await context.store.write(unstored)
                unstored = []
                context.storeRefusals.set(deployment.id, nil)
                context.feed.publish(.deploymentChanged(deployment.id), deploymentID: deployment.id)
            } catch {
                schedule(at: context.time.now() + 1, inbox: inbox)
                return
            }
        }
        while !Task.isCancelled {
            let actions = Scheduler.nextActions(for: state, now: context.time.now())
            guard !actions.isEmpty else { return }
            for action in actions {
                if case .wakeAt(let time) = action {
                    schedule(at: time, inbox: inbox)
                    return
                }
                do {
                    try await perform(action, inbox: inbox)
                } catch {
                    // The store refused a transition: act on nothing we could not record.
                    context.logger.error("could not store a transition; retrying shortly", metadata: ["deployment": "\(deployment.id)", "error": "\(error)"])
                    schedule(at: context.time.now() + 1, inbox: inbox)
                    return
                }
            }
        }
    }

    mutating func perform(_ action: SchedulerAction, inbox: AsyncStream<DriverEvent>.Continuation) async throws {
        let now = context.time.now()
        var next = state
        next.apply(action, now: now)
        var changes: [StoreChange] = []
        switch action {
        case .beginPhase(let index):
            phases[index].startedAt = phases[index].startedAt ?? now
            deployment.startedAt = deployment.startedAt ?? now
            changes.append(event("phase.started", "phase '\(phases[index].name)' started: \(counted(phases[index].state.batches.joined().count, "node")) in \(counted(phases[index].state.batches.count, "batch", plural: "batches"))"))
            changes += sync(from: next, phases: [index], deployment: true)
        case .startTargets(let indices):
            // Not stored here: each node's runner commits "running" with its first step's start, before any
            // command runs. A crash before that leaves the node pending, to be started again.
            for index in indices {
                targets[index].status = .running
                targets[index].attempt += 1
                targets[index].startedAt = now
                targets[index].finishedAt = nil
                targets[index].failure = nil
                targets[index].currentStep = nil
            }
        case .finishPhase(let index):
            phases[index].finishedAt = now
            let gate: String
            switch next.phases[index].status {
            case .gate where next.phases[index].gate == .manual: gate = "; waiting for approval before the next phase"
            case .gate: gate = "; baking until the next phase"
            default: gate = ""
            }
            changes.append(event("phase.finished", "phase '\(phases[index].name)' finished\(gate)"))
            changes += sync(from: next, phases: [index])
        case .openGate(let index):
            changes.append(event("gate.opened", "gate after phase '\(phases[index].name)' opened"))
            changes += sync(from: next, phases: [index])
        case .halt(let reason), .pause(let reason):
            deployment.statusReason = reason
            changes.append(event(next.status == .halted ? "deployment.halted" : "deployment.paused", reason))
            changes += sync(from: next, deployment: true)
        case .finish(let outcome, let reason):
            deployment.statusReason = reason
            deployment.finishedAt = now
            changes.append(event("deployment.\(outcome.rawValue)", reason))
            changes += sync(from: next, deployment: true)
        case .wakeAt:
            return
        }
        try await context.store.write(changes)
        state = next
        if !changes.isEmpty { context.feed.publish(.deploymentChanged(deployment.id), deploymentID: deployment.id) }
        if case .startTargets(let indices) = action {
            for index in indices { start(index, inbox: inbox) }
        }
    }

    /// Copies statuses from `next` into the records and returns the changed ones as changes.
    mutating func sync(
        from next: DeploymentState, phases phaseIndices: [Int] = [], targets targetIndices: [Int] = [], deployment includeDeployment: Bool = false
    ) -> [StoreChange] {
        var changes: [StoreChange] = []
        if includeDeployment || deployment.status != next.status || deployment.currentPhase != next.currentPhase {
            deployment.status = next.status
            deployment.currentPhase = next.currentPhase
            deployment.updatedAt = context.time.now()
            changes.append(.saveDeployment(deployment))
        }
        for index in phaseIndices {
            phases[index].status = next.phases[index].status
            phases[index].gateOpensAt = next.phases[index].gateOpensAt
            phases[index].approvedBy = next.phases[index].approvedBy
            changes.append(.savePhase(phases[index]))
        }
        for index in targetIndices {
            targets[index].status = next.targets[index].status
            changes.append(.saveTarget(targets[index]))
        }
        return changes
    }

    /// An event of this deployment: the server's own (origin `engine`) unless a person's command is given.
    /// Every event carries the deployment's ticket, so the trail says why for each entry.
    func event(_ kind: String, _ message: String, actor: String = "waveline", command: OperatorCommand? = nil) -> StoreChange {
        .appendEvent(EventRecord(
            deploymentId: deployment.id, time: context.time.now(), actor: actor, kind: kind, message: message,
            origin: command.map { $0.origin ?? Engine.unknownOrigin } ?? AuditChain.engineOrigin,
            reason: command?.reason, ticket: deployment.ticket
        ))
    }

    mutating func start(_ index: Int, inbox: AsyncStream<DriverEvent>.Continuation) {
        let target = targets[index]
        let node: Node
        do {
            if let known = nodes[index] {
                node = known
            } else {
                node = try target.decodedNode()
                nodes[index] = node
            }
        } catch {
            inbox.yield(.targetFinished(index, .failed(FailurePoint(stage: .step, step: "-", exitCode: nil, reason: "the stored node is unreadable: \(error)")), target))
            return
        }
        let secrets: [String: String]
        do {
            secrets = try context.vault.values(for: node)
        } catch {
            inbox.yield(.targetFinished(index, .failed(FailurePoint(stage: .step, step: "-", exitCode: nil, reason: error.message)), target))
            return
        }
        let job = TargetJob(
            deploymentID: deployment.id, target: target, node: node, operation: operation,
            parameters: parameters, shownParameters: deployment.parameters, history: [], secrets: secrets
        )
        let runner = TargetRunner(store: context.store, logs: context.logs, executor: context.executors.executor(for: node), abort: abort, time: context.time)
        running[index] = Task {
            let (outcome, record) = await runner.run(job)
            inbox.yield(.targetFinished(index, outcome, record))
        }
    }

    mutating func schedule(at time: Double, inbox: AsyncStream<DriverEvent>.Continuation) {
        if let timerAt, timerAt <= time, timer != nil { return }
        timer?.cancel()
        timerAt = time
        let clock = context.time
        timer = Task {
            let delay = max(0, time - clock.now())
            do { try await Task.sleep(for: .milliseconds(Int(delay * 1000) + 5)) } catch { return }
            inbox.yield(.tick)
        }
    }

    // MARK: - Events

    mutating func handle(_ event: DriverEvent, inbox: AsyncStream<DriverEvent>.Continuation) async {
        switch event {
        case .tick:
            timer = nil
            timerAt = nil
        case .targetFinished(let index, let outcome, let record):
            running[index] = nil
            await finishTarget(index, outcome: outcome, record: record)
        case .command(let command, let reply):
            do {
                try await apply(command, inbox: inbox)
                reply.resume(returning: .success(()))
            } catch let error as EngineError {
                reply.resume(returning: .failure(error))
            } catch {
                reply.resume(returning: .failure(EngineError(.internalFailure, "could not store the change: \(error)")))
            }
        }
    }

    /// Takes a node's outcome, which its runner has already stored, into the driver's state.
    mutating func finishTarget(_ index: Int, outcome: TargetOutcome, record: TargetRecord) async {
        let status: TargetStatus
        var changes: [StoreChange] = []
        switch outcome {
        case .succeeded: status = .succeeded
        case .cancelled: status = .cancelled
        case .failed(let failure):
            status = .failed
            changes.append(event("target.failed", "\(record.node) failed at \(failure.stage.rawValue) '\(failure.step)': \(failure.reason)"))
        case .stopped:
            // Shutting down: the restart sorts it out from the store.
            return
        case .storeFailed(let why):
            await storeRefused(index, why: why, record: record)
            return
        }
        var record = record
        var unsaved = false
        if case .failed(let failure) = outcome, record.failure == nil {
            // A run that never started (its node or secrets unreadable): the reason is the failure point.
            record.failure = failure
            unsaved = true
        }
        if record.status != status {
            // An outcome the runner could not store itself (it never started).
            record.status = status
            record.finishedAt = context.time.now()
            unsaved = true
        }
        // A failure is saved again with its event (the same record): the store's outbox learns which node it was.
        if unsaved || status == .failed { changes.append(.saveTarget(record)) }
        do {
            try await context.store.write(changes)
        } catch {
            context.logger.error("could not store a node's outcome", metadata: ["deployment": "\(deployment.id)", "node": "\(record.node)", "error": "\(error)"])
        }
        targets[index] = record
        state.targets[index].status = status
        context.feed.publish(.deploymentChanged(deployment.id), deploymentID: deployment.id)
    }

    /// The store refused a node's records even after retries: the node is marked as if the server had stopped
    /// during its step (pending again when the operation is idempotent, else interrupted, for a person to retry
    /// or skip) and the deployment pauses with the store's reason, so it neither hangs "running" nor starts
    /// more nodes on a store that loses their records. Written as soon as the store takes writes again.
    mutating func storeRefused(_ index: Int, why: String, record: TargetRecord) async {
        context.logger.error("the store refuses a node's records; pausing the deployment", metadata: ["deployment": "\(deployment.id)", "node": "\(record.node)", "error": "\(why)"])
        var record = record
        let status: TargetStatus = operation.idempotent ? .pending : .interrupted
        record.status = status
        record.finishedAt = nil
        record.failure = FailurePoint(stage: .step, step: record.currentStep ?? "-", exitCode: nil, reason: "the store refused its records: \(why)")
        targets[index] = record
        var next = state
        next.targets[index].status = status
        var changes: [StoreChange] = [.saveTarget(record)]
        if next.status.isActive {
            next.status = .paused
            deployment.statusReason = "paused: the store refuses writes (\(why)); free space, then resume"
                + (status == .interrupted ? " and retry \(record.node)" : "")
            changes = sync(from: next, deployment: true) + changes
            changes.append(event("deployment.paused", deployment.statusReason ?? "paused: the store refuses writes"))
        }
        state = next
        unstored += changes
        do {
            try await context.store.write(unstored)
            unstored = []
        } catch {
            // Kept: `advance` writes them first, once the store takes writes again; told from memory meanwhile.
            context.storeRefusals.set(deployment.id, deployment.statusReason)
        }
        context.feed.publish(.deploymentChanged(deployment.id), deploymentID: deployment.id)
    }
}

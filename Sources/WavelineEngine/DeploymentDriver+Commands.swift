import WavelineCore
import WavelineStore

extension DeploymentDriver {
    /// Carries out a person's action, or throws why it cannot be done now. The effect is stored before the
    /// driver acts on it, like every other transition.
    mutating func apply(_ command: OperatorCommand, inbox: AsyncStream<DriverEvent>.Continuation) async throws {
        let id = deployment.id
        let who = command.actor
        var next = state
        var changedTargets: [Int] = []
        var changedPhases: [Int] = []
        var message: String

        func refuse(_ why: String) -> EngineError { EngineError(.conflict, "cannot \(command.action.rawValue) deployment #\(id): \(why)") }

        switch command.action {
        case .pause:
            guard state.status.isActive else { throw refuse("it is \(state.status.rawValue), not running") }
            next.status = .paused
            deployment.statusReason = "paused by \(who)"
            message = "paused by \(who); running nodes finish, nothing new starts"

        case .resume:
            switch state.status {
            case .paused, .halted:
                if let interrupted = state.targets.first(where: { $0.status == .interrupted }) {
                    throw refuse("node \(interrupted.node) was interrupted mid-step; retry or skip it first")
                }
                next.status = state.phases[state.currentPhase].kind == .rollback ? .rollingBack : .running
                if next.status == .running, let over = Scheduler.overBudget(next) {
                    throw refuse("\(over); retry or skip failed nodes first")
                }
                deployment.statusReason = nil
                message = "resumed by \(who)"
            default:
                throw refuse("it is \(state.status.rawValue); only a paused or halted deployment resumes")
            }

        case .abort:
            guard !state.status.isFinal else { throw refuse("it is already \(state.status.rawValue)") }
            abort.abort()
            for (index, target) in state.targets.enumerated() where target.status == .pending || target.status == .interrupted {
                next.targets[index].status = .cancelled
                changedTargets.append(index)
            }
            next.status = .cancelled
            // The reason goes in the event (its own field, and the end of its message), where the caller's words are
            // kept apart from the server's text that is masked.
            deployment.statusReason = "aborted by \(who)"
            deployment.finishedAt = context.time.now()
            message = deployment.statusReason ?? "aborted"
            for task in running.values { task.cancel() }

        case .retry:
            guard !state.status.isFinal, state.status != .queued else { throw refuse("it is \(state.status.rawValue)") }
            let chosen = try indices(named: command.nodes, where: { $0 == .failed || $0 == .interrupted }, what: "failed or interrupted")
            for index in chosen {
                next.targets[index].status = .pending
                changedTargets.append(index)
            }
            if state.status == .halted || state.status == .paused {
                next.status = state.phases[state.currentPhase].kind == .rollback ? .rollingBack : .running
                if next.status == .running, let over = Scheduler.overBudget(next) { throw refuse(over) }
            }
            deployment.statusReason = nil
            message = "\(who) retried \(chosen.map { targets[$0].node }.joined(separator: ", "))"

        case .skip:
            guard !state.status.isFinal else { throw refuse("it is \(state.status.rawValue)") }
            guard !command.nodes.isEmpty else { throw EngineError(.invalidRequest, "skip needs the names of the nodes to skip") }
            let chosen = try indices(named: command.nodes, where: { $0 == .pending || $0 == .failed || $0 == .interrupted }, what: "pending, failed or interrupted")
            for index in chosen {
                next.targets[index].status = .skipped
                changedTargets.append(index)
            }
            message = "\(who) skipped \(chosen.map { targets[$0].node }.joined(separator: ", "))"

        case .approve:
            let current = state.currentPhase
            guard state.phases[current].status == .gate, state.phases[current].gate == .manual,
                  state.phases[current].approvedBy == nil else {
                let approved = deployment.approvedBy.map { "; it was approved by \($0)" } ?? ""
                throw refuse("no gate is waiting for approval\(approved)")
            }
            // Four-eyes on protected environments: the gate needs someone other than the requester too.
            if !deployment.protectedEnvironmentList.isEmpty && who == deployment.requestedBy {
                throw refuse("\(who) requested it, and a gate on the protected environment \(deployment.protectedEnvironmentList.joined(separator: ", ")) needs a second person's approval (four-eyes)")
            }
            next.phases[current].approvedBy = who
            changedPhases.append(current)
            message = "\(who) approved the gate after phase '\(state.phases[current].name)'"

        case .rollback:
            guard !operation.rollback.isEmpty else { throw refuse("operation '\(operation.name)' has no rollback steps") }
            guard !state.phases.contains(where: { $0.kind == .rollback }) else {
                throw refuse(state.status == .rollingBack ? "it is already rolling back" : "it was already rolled back")
            }
            guard state.status != .running else {
                throw refuse("it is running; pause it first so running nodes finish")
            }
            var batches: [[Int]] = []
            var newTargets: [TargetRecord] = []
            // Undo in reverse order, keeping the original batches, which are zone-safe.
            for phase in state.phases.reversed() {
                for batch in phase.batches.reversed() {
                    var rollbackBatch: [Int] = []
                    for index in batch.reversed() where state.targets[index].status == .succeeded && state.targets[index].kind == .deploy {
                        var record = targets[index]
                        record.targetIndex = targets.count + newTargets.count
                        record.kind = .rollback
                        record.phaseIndex = state.phases.count
                        record.batchIndex = batches.count
                        record.status = .pending
                        record.attempt = 0
                        record.startedAt = nil
                        record.finishedAt = nil
                        record.failure = nil
                        record.currentStep = nil
                        rollbackBatch.append(record.targetIndex)
                        newTargets.append(record)
                    }
                    if !rollbackBatch.isEmpty { batches.append(rollbackBatch) }
                }
            }
            guard !newTargets.isEmpty else { throw refuse("no node completed the operation, so there is nothing to roll back") }
            for (index, target) in state.targets.enumerated() where target.status == .pending || target.status == .interrupted {
                next.targets[index].status = .cancelled
                changedTargets.append(index)
            }
            let phase = PhaseState(
                name: "rollback", kind: .rollback, gate: .automatic,
                parallelism: state.phases.map(\.parallelism).max() ?? 1, failureBudget: nil, batches: batches
            )
            next.phases.append(phase)
            phases.append(PhaseRecord(deploymentId: id, index: state.phases.count, state: phase))
            changedPhases.append(state.phases.count)
            for record in newTargets {
                next.targets.append(TargetState(node: record.node, kind: .rollback, phase: record.phaseIndex, batch: record.batchIndex))
                targets.append(record)
                changedTargets.append(record.targetIndex)
            }
            next.currentPhase = state.phases.count
            next.status = .rollingBack
            deployment.statusReason = "rolling back \(newTargets.count) node(s), asked by \(who)"
            deployment.finishedAt = nil
            message = deployment.statusReason ?? "rolling back"
        }

        var changes = sync(from: next, phases: changedPhases, targets: changedTargets, deployment: true)
        var text = message
        if let reason = command.reason { text += ": \(reason)" }
        changes.append(event("action.\(command.action.rawValue)", text, actor: who, command: command))
        try await context.store.write(changes)
        state = next
        context.feed.publish(.deploymentChanged(id), deploymentID: id)
    }

    /// The target indices of the named nodes in an allowed status, or of every node in one when none are named.
    func indices(named nodes: [String], where allowed: (TargetStatus) -> Bool, what: String) throws -> [Int] {
        if nodes.isEmpty {
            let all = state.targets.indices.filter { allowed(state.targets[$0].status) }
            guard !all.isEmpty else { throw EngineError(.conflict, "deployment #\(deployment.id) has no \(what) node") }
            return all
        }
        return try nodes.map { name in
            // The most recent run of that node: a rollback run if there is one.
            guard let index = state.targets.indices.last(where: { state.targets[$0].node == name }) else {
                throw EngineError(.notFound, "node '\(name)' is not part of deployment #\(deployment.id)")
            }
            guard allowed(state.targets[index].status) else {
                throw EngineError(.conflict, "node '\(name)' is \(state.targets[index].status.rawValue) in deployment #\(deployment.id); only \(what) nodes qualify")
            }
            return index
        }
    }
}

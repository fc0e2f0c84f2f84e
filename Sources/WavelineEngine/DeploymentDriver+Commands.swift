import WavelineCore
import WavelineStore

extension DeploymentDriver {
    /// Carries out a person's action, or throws why it cannot be done now (`DriverCommandRules` decides). The
    /// effect is stored before the driver acts on it, like every other transition.
    mutating func apply(_ command: OperatorCommand, inbox: AsyncStream<DriverEvent>.Continuation) async throws {
        let id = deployment.id
        let facts = DrivenDeployment(
            id: id, state: state, requestedBy: deployment.requestedBy,
            protectedEnvironments: deployment.protectedEnvironmentList, approvedBy: deployment.approvedBy,
            operationName: operation.name, hasRollbackSteps: !operation.rollback.isEmpty
        )
        let effect: CommandEffect
        switch DriverCommandRules.decide(DeploymentCommand(action: command.action, nodes: command.nodes, actor: command.actor), on: facts) {
        case .success(let decided): effect = decided
        case .failure(let refusal): throw EngineError(refusal)
        }
        if effect.endsRunningSteps {
            abort.abort()
            for task in running.values { task.cancel() }
        }
        switch effect.statusReason {
        case .keep: break
        case .set(let reason): deployment.statusReason = reason
        }
        switch effect.finishTime {
        case .keep: break
        case .now: deployment.finishedAt = context.time.now()
        case .clear: deployment.finishedAt = nil
        }
        for index in phases.count..<effect.state.phases.count {
            phases.append(PhaseRecord(deploymentId: id, index: index, state: effect.state.phases[index]))
        }
        for run in effect.rollbackRuns {
            // A rollback run of a node is a new run, at the end, made from the run it undoes.
            var record = targets[run.undoes]
            let planned = effect.state.targets[run.index]
            record.targetIndex = run.index
            record.kind = .rollback
            record.phaseIndex = planned.phase
            record.batchIndex = planned.batch
            record.status = .pending
            record.attempt = 0
            record.startedAt = nil
            record.finishedAt = nil
            record.failure = nil
            record.currentStep = nil
            targets.append(record)
        }

        var changes = sync(from: effect.state, phases: effect.changedPhases, targets: effect.changedTargets, deployment: true)
        var text = effect.message
        if let reason = command.reason { text += ": \(reason)" }
        changes.append(event("action.\(command.action.rawValue)", text, actor: command.actor, command: command))
        try await context.store.write(changes)
        state = effect.state
        context.feed.publish(.deploymentChanged(id), deploymentID: id)
    }
}

import WavelineCore
import WavelineStore

extension Engine {
    /// What became of a command on a deployment with no driver.
    enum Reopening { case done, driverStarted }

    /// A command on a deployment with no driver (waiting for approval, queued, or finished), decided by
    /// `ParkedCommandRules`: an approval, an abort of one that waits, or a rollback that starts a driver again.
    func reopenIfNeeded(_ id: Int64, for command: OperatorCommand) async throws(EngineError) -> Reopening {
        let deployment: DeploymentRecord
        let phases: [PhaseRecord]
        let targets: [TargetRecord]
        do {
            guard let found = try await store.deployment(id) else {
                throw EngineError(.notFound, "no deployment #\(id)")
            }
            deployment = found
            phases = try await store.phases(of: id)
            targets = try await store.targets(of: id)
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.internalFailure, "could not read deployment #\(id): \(error)")
        }
        let parked = ParkedDeployment(
            id: id, status: deployment.status, requestedBy: deployment.requestedBy, operationName: deployment.operation,
            hasRollbackSteps: (try? deployment.decodedOperation()).map { !$0.rollback.isEmpty } ?? false,
            wasRolledBack: phases.contains { $0.kind == .rollback },
            anyNodeCompleted: targets.contains { $0.kind == .deploy && $0.status == .succeeded },
            // In target order, so a node's latest run (a rollback run comes after its deploy run) wins.
            nodeStatuses: targets.sorted { $0.targetIndex < $1.targetIndex }.reduce(into: [:]) { $0[$1.node] = $1.status }
        )
        switch ParkedCommandRules.decide(command.action, nodes: command.nodes, by: command.actor, on: parked) {
        case .failure(let refusal):
            throw EngineError(refusal)
        case .success(.approveDeployment):
            try await approveDeployment(deployment, targets: targets, by: command)
            return .done
        case .success(.abortWaiting(let reason)):
            try await abortWaiting(deployment, targets: targets, reason: reason, by: command)
            return .done
        case .success(.reopenForRollback), .success(.reopenForRetry):
            // Its driver takes it up again, paused, and the command goes to it (`perform`), which decides and
            // stores the change: a rollback phase, or the failed nodes pending again and the finish time cleared.
            await untilEndingHoldersLetGo(of: targets.map(\.node))
            if let refusal = ParkedCommandRules.reopeningBlocked(command.action, deployment: id, firstBusy: claims.busy(among: targets.map(\.node)).first) {
                throw EngineError(refusal)
            }
            var reopened = deployment
            reopened.status = .paused
            claims.claim(targets.map(\.node), for: id)
            await launch(DeploymentDriverSeed(deployment: reopened, phases: phases, targets: targets))
            return .driverStarted
        }
    }

    /// A deployment aborted before it started: it and every node are cancelled.
    private func abortWaiting(_ deployment: DeploymentRecord, targets: [TargetRecord], reason: String, by command: OperatorCommand) async throws(EngineError) {
        let id = deployment.id
        var cancelled = deployment
        cancelled.status = .cancelled
        cancelled.statusReason = reason
        cancelled.finishedAt = time.now()
        cancelled.updatedAt = time.now()
        let cancelledTargets = targets.map { target -> StoreChange in
            var target = target
            target.status = .cancelled
            return .saveTarget(target)
        }
        do {
            try await store.write([.saveDeployment(cancelled)] + cancelledTargets + [
                .appendEvent(EventRecord(
                    deploymentId: id, time: time.now(), actor: command.actor, kind: "action.abort",
                    message: reason, origin: command.origin ?? Self.unknownOrigin,
                    reason: command.reason, ticket: deployment.ticket
                )),
            ])
        } catch {
            throw EngineError(.internalFailure, "could not store the abort: \(error)")
        }
        queue.remove(id)
        feed.publish(.deploymentChanged(id), deploymentID: id)
    }
}

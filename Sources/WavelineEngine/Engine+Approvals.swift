import WavelineCore
import WavelineStore

extension Engine {
    /// A second person lets a deployment to a protected environment start. Its nodes are claimed now: if one
    /// is busy, the deployment queues (the approval stays valid for `approvalValidity` while it waits).
    func approveDeployment(_ deployment: DeploymentRecord, targets: [TargetRecord], by command: OperatorCommand) async throws(EngineError) {
        let id = deployment.id
        let protected = deployment.protectedEnvironmentList
        if let refusal = DeploymentApproval.check(deployment: id, approver: command.actor, requester: deployment.requestedBy, protected: protected) {
            throw EngineError(refusal)
        }
        let now = time.now()
        var approved = deployment
        approved.approvedBy = command.actor
        approved.approvedAt = now
        approved.updatedAt = now
        // Read before any node is claimed: a failed read then leaves nothing held.
        let phases: [PhaseRecord]
        do {
            phases = try await store.phases(of: id)
        } catch {
            throw EngineError(.internalFailure, "could not read deployment #\(id)'s phases: \(error)")
        }
        await untilEndingHoldersLetGo(of: targets.map(\.node))
        let start = DeploymentApproval.start(approver: command.actor, firstBusy: claims.busy(among: targets.map(\.node)).first)
        approved.status = start.status
        approved.statusReason = start.statusReason
        if start.claimsNodes { claims.claim(targets.map(\.node), for: id) }
        let message = DeploymentApproval.message(approver: command.actor, requester: deployment.requestedBy, protected: protected, reason: command.reason)
        do {
            try await store.write([
                .saveDeployment(approved),
                .appendEvent(EventRecord(
                    deploymentId: id, time: now, actor: command.actor, kind: "action.approve", message: message,
                    origin: command.origin ?? Self.unknownOrigin, reason: command.reason, ticket: deployment.ticket
                )),
            ])
        } catch {
            if start.claimsNodes { claims.release(id); await startQueued() }
            throw EngineError(.internalFailure, "could not store the approval: \(error)")
        }
        if start.claimsNodes {
            await launch(DeploymentDriverSeed(deployment: approved, phases: phases, targets: targets))
        } else {
            queue.append(id)
        }
        feed.publish(.deploymentChanged(id), deploymentID: id)
    }

    /// Whether the approval of a queued deployment is void now (`DeploymentApproval.isExpired`).
    func approvalExpired(_ deployment: DeploymentRecord) -> Bool {
        DeploymentApproval.isExpired(
            protected: deployment.protectedEnvironmentList, approvedAt: deployment.approvedAt, now: time.now(),
            validity: approvalValidity
        )
    }

    /// The deployment waits for approval again.
    func voidApproval(_ deployment: DeploymentRecord) async throws {
        var waiting = deployment
        waiting.status = .pendingApproval
        waiting.approvedBy = nil
        waiting.approvedAt = nil
        waiting.updatedAt = time.now()
        waiting.statusReason = DeploymentApproval.voided(
            approver: deployment.approvedBy, validity: approvalValidity, requester: deployment.requestedBy,
            protected: deployment.protectedEnvironmentList
        )
        try await store.write([
            .saveDeployment(waiting),
            .appendEvent(EventRecord(deploymentId: deployment.id, time: time.now(), actor: "waveline", kind: "deployment.approval_expired", message: waiting.statusReason ?? "approval expired", ticket: deployment.ticket)),
        ])
        feed.publish(.deploymentChanged(deployment.id), deploymentID: deployment.id)
    }
}

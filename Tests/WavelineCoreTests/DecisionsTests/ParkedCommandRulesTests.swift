import Testing
import WavelineCore

/// The rules for an action on a deployment with no driver, over every action, status and fact.
@Suite struct ParkedCommandRulesTests {
    @Test func everyActionStatusAndFactGivesTheDecisionOfTheTable() {
        for action in OperatorAction.allCases {
            for status in DeploymentStatus.allCases {
                for facts in 0..<8 {
                    let deployment = ParkedDeployment(
                        id: 4, status: status, requestedBy: "alice", operationName: "upgrade",
                        hasRollbackSteps: facts & 1 != 0, wasRolledBack: facts & 2 != 0, anyNodeCompleted: facts & 4 != 0
                    )
                    let decided = ParkedCommandRules.decide(action, by: "bob", on: deployment)
                    let expected: ParkedCommandRules.Decision?
                    switch (status, action) {
                    case (.pendingApproval, .approve): expected = .approveDeployment
                    case (.pendingApproval, .abort): expected = .abortWaiting(statusReason: "aborted by bob while waiting for approval")
                    case (.queued, .abort): expected = .abortWaiting(statusReason: "aborted by bob while queued")
                    case (.finishedWithFailures, .retry): expected = nil  // no failed node in these facts
                    case (_, .rollback) where status != .queued && status != .pendingApproval:
                        expected = deployment.hasRollbackSteps && !deployment.wasRolledBack && deployment.anyNodeCompleted ? .reopenForRollback : nil
                    default: expected = nil
                    }
                    switch decided {
                    case .success(let decision):
                        #expect(decision == expected, "\(action) on \(status), facts \(facts)")
                    case .failure(let refusal):
                        #expect(expected == nil, "\(action) on \(status), facts \(facts): refused \(refusal.message)")
                        #expect(refusal.kind == .conflict)
                        #expect(refusal.message.contains("deployment #4"))
                    }
                }
            }
        }
    }

    @Test func refusalsSayWhatIsWrongInTheirOwnWords() {
        func refusal(_ action: OperatorAction, _ status: DeploymentStatus, rollbackSteps: Bool = true, rolledBack: Bool = false, completed: Bool = true) -> String? {
            let deployment = ParkedDeployment(id: 4, status: status, requestedBy: "alice", operationName: "upgrade", hasRollbackSteps: rollbackSteps, wasRolledBack: rolledBack, anyNodeCompleted: completed)
            if case .failure(let refusal) = ParkedCommandRules.decide(action, by: "bob", on: deployment) { return refusal.message }
            return nil
        }
        #expect(refusal(.pause, .pendingApproval) == "deployment #4 is waiting for approval; it can only be approved (by someone other than alice) or aborted")
        #expect(refusal(.approve, .queued) == "deployment #4 is queued; it can only be aborted until it starts")
        #expect(refusal(.resume, .succeeded) == "cannot resume deployment #4: it is succeeded")
        #expect(refusal(.rollback, .failed, rollbackSteps: false) == "cannot roll back deployment #4: operation 'upgrade' has no rollback steps")
        #expect(refusal(.rollback, .succeeded, rolledBack: true) == "cannot roll back deployment #4: it was already rolled back")
        #expect(refusal(.rollback, .cancelled, completed: false) == "cannot roll back deployment #4: no node completed the operation")
        #expect(ParkedCommandRules.rollbackBlocked(deployment: 4, firstBusy: BusyNode(node: "n2", holder: 9))
                == Refusal(.conflict, "cannot roll back deployment #4: node n2 is busy in deployment #9"))
        #expect(ParkedCommandRules.rollbackBlocked(deployment: 4, firstBusy: nil) == nil)
    }

    /// A retry reopens only a deployment that finished with failed nodes, for failed nodes only; every other
    /// final state refuses it in its own words.
    @Test func aRetryReopensOnlyADeploymentThatFinishedWithFailuresForItsFailedNodes() {
        let statuses: [String: TargetStatus] = ["n1": .succeeded, "n2": .failed, "n3": .failed, "n4": .skipped]
        func decide(_ status: DeploymentStatus, _ nodes: [String] = [], statuses: [String: TargetStatus] = statuses) -> Result<ParkedCommandRules.Decision, Refusal> {
            let deployment = ParkedDeployment(id: 4, status: status, requestedBy: "alice", operationName: "upgrade", hasRollbackSteps: true,
                                              wasRolledBack: false, anyNodeCompleted: true, nodeStatuses: statuses)
            return ParkedCommandRules.decide(.retry, nodes: nodes, by: "bob", on: deployment)
        }
        #expect(decide(.finishedWithFailures) == .success(.reopenForRetry(nodes: ["n2", "n3"])))
        #expect(decide(.finishedWithFailures, ["n3", "n3"]) == .success(.reopenForRetry(nodes: ["n3"])))
        #expect(decide(.finishedWithFailures, ["n1"]) == .failure(Refusal(.conflict, "node 'n1' is succeeded in deployment #4; only failed nodes qualify")))
        #expect(decide(.finishedWithFailures, ["n2", "n4"]) == .failure(Refusal(.conflict, "node 'n4' is skipped in deployment #4; only failed nodes qualify")))
        #expect(decide(.finishedWithFailures, ["n9"]) == .failure(Refusal(.notFound, "node 'n9' is not part of deployment #4")))
        #expect(decide(.finishedWithFailures, statuses: ["n1": .succeeded]) == .failure(Refusal(.conflict, "deployment #4 has no failed node")))
        for status in DeploymentStatus.allCases where status.isFinal && status != .finishedWithFailures {
            #expect(decide(status) == .failure(Refusal(.conflict, "cannot retry deployment #4: it is \(status.rawValue)")), "\(status)")
        }
        // Its nodes must all be free, as for a rollback; the refusal names the action and the holder.
        #expect(ParkedCommandRules.reopeningBlocked(.retry, deployment: 4, firstBusy: BusyNode(node: "n1", holder: 9))
                == Refusal(.conflict, "cannot retry deployment #4: node n1 is busy in deployment #9"))
        #expect(ParkedCommandRules.reopeningBlocked(.retry, deployment: 4, firstBusy: nil) == nil)
        // The same permission as any retry: the operator role's.
        #expect(OperatorAction.retry.permission(deploymentStatus: .finishedWithFailures) == .retry)
    }

    @Test func everyActionNeedsItsPermissionAndApprovingADeploymentIsNotApprovingAGate() {
        for status in DeploymentStatus.allCases {
            #expect(OperatorAction.approve.permission(deploymentStatus: status) == (status == .pendingApproval ? .approveDeployment : .approveGate))
            #expect(OperatorAction.pause.permission(deploymentStatus: status) == .pause)
            #expect(OperatorAction.rollback.permission(deploymentStatus: status) == .rollback)
        }
        let distinct = Set(OperatorAction.allCases.filter { $0 != .approve }.map { "\($0.permission(deploymentStatus: .running))" })
        #expect(distinct.count == OperatorAction.allCases.count - 1)
    }
}

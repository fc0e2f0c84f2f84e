import Testing
import WavelineCore

/// Which events are told to Slack and Jira, from what one write stores about the deployment.
@Suite struct NotificationRulesTests {
    typealias Facts = NotificationRules.WriteFacts

    @Test("A request waiting for approval asks for it; one that may start is only requested")
    func created() {
        #expect(NotificationRules.notices(eventKind: "deployment.created", facts: Facts(deploymentStatus: .pendingApproval)) == [Notice(kind: .approvalNeeded)])
        #expect(NotificationRules.notices(eventKind: "deployment.created", facts: Facts(deploymentStatus: .running)) == [Notice(kind: .requested)])
        #expect(NotificationRules.notices(eventKind: "deployment.created", facts: Facts(deploymentStatus: .queued)) == [Notice(kind: .requested)])
    }

    @Test("A phase done at its gate is a gate waiting; without a gate, progress; a failed node names its target")
    func phasesAndFailures() {
        #expect(NotificationRules.notices(eventKind: "phase.finished", facts: Facts(phasesAtGate: [2])) == [Notice(kind: .gateWaiting, subject: 2)])
        #expect(NotificationRules.notices(eventKind: "phase.finished", facts: Facts()) == [Notice(kind: .progress)])
        #expect(NotificationRules.notices(eventKind: "phase.started", facts: Facts()) == [Notice(kind: .phaseStarted)])
        #expect(NotificationRules.notices(eventKind: "target.failed", facts: Facts(failedTargets: [4])) == [Notice(kind: .failure, subject: 4)])
    }

    @Test("Every operator action is told with its action; an unknown action. kind is not")
    func operatorActions() {
        for action in OperatorAction.allCases {
            #expect(NotificationRules.notices(eventKind: "action.\(action.rawValue)", facts: Facts())
                    == [Notice(kind: .operatorAction, action: action.rawValue)])
        }
        #expect(NotificationRules.notices(eventKind: "action.dance", facts: Facts()).isEmpty)
    }

    @Test("The write that makes a deployment final tells the outcome after its cause, for every final status")
    func outcome() {
        for status in DeploymentStatus.allCases {
            let notices = NotificationRules.notices(eventKind: "deployment.\(status.rawValue)", facts: Facts(deploymentStatus: status))
            // Waveline's own pause and halt move the parent on; the other states are written with other events.
            let expected: [Notice] = status.isFinal ? [Notice(kind: .outcome)] : (status == .paused || status == .halted ? [Notice(kind: .progress)] : [])
            #expect(notices == expected)
        }
        #expect(NotificationRules.notices(eventKind: "action.abort", facts: Facts(deploymentStatus: .cancelled))
                == [Notice(kind: .operatorAction, action: "abort"), Notice(kind: .outcome)])
        #expect(NotificationRules.isSuccess(.succeeded))
        #expect(DeploymentStatus.allCases.filter(NotificationRules.isSuccess) == [.succeeded])
    }

    @Test("Sign-ins, users and tokens are never told")
    func notDeploymentEvents() {
        for kind in ["auth.signed_in", "user.created", "token.revoked", "log.line"] {
            #expect(NotificationRules.notices(eventKind: kind, facts: Facts()).isEmpty)
        }
    }
}

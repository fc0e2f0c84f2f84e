import WavelineAPI
import WavelineCore
import WavelineStore

// Store records of deployments as the API shows them. The wire types live in WavelineAPI, which knows no
// store; the server, which reads the store, maps here.

extension DeploymentSummary {
    public init(_ record: DeploymentRecord) {
        let protected = record.protectedEnvironmentList
        self.init(
            id: record.id,
            operation: record.operation,
            strategy: record.strategy,
            selection: record.selection.summary,
            environments: record.environments.split(separator: ",").map(String.init),
            products: record.products.split(separator: ",").map(String.init),
            parameters: record.parameters,
            requestedBy: record.requestedBy,
            reason: record.reason,
            ticket: record.ticket,
            status: record.status,
            statusReason: record.statusReason,
            currentPhase: record.currentPhase,
            targetCount: record.targetCount,
            failureBudget: record.failureBudget,
            createdAt: record.createdAt,
            startedAt: record.startedAt,
            finishedAt: record.finishedAt,
            protectedEnvironments: protected.isEmpty ? nil : protected,
            approvedBy: record.approvedBy,
            approvedAt: record.approvedAt,
            jiraTicket: record.checkedTicket.map(JiraTicketView.init)
        )
    }
}

extension TargetView {
    init(_ record: TargetRecord) {
        self.init(
            index: record.targetIndex,
            node: record.node,
            cluster: record.cluster,
            zone: record.zone,
            environment: record.environment,
            product: record.product,
            kind: record.kind,
            phase: record.phaseIndex,
            batch: record.batchIndex,
            status: record.status,
            attempt: record.attempt,
            currentStep: record.currentStep,
            failure: record.failure,
            startedAt: record.startedAt,
            finishedAt: record.finishedAt
        )
    }
}

extension LogLineView {
    /// A stored line under its node's name (a line knows its target's index, not the node).
    init(_ record: LogLineRecord, node: String) {
        self.init(id: record.id, node: node, seq: record.seq, time: record.time, stream: record.stream.rawValue, step: record.step, text: record.text)
    }
}

extension EventView {
    /// An event as the events feed shows it: without its reason, ticket and origin (for auditors only).
    init(_ record: EventRecord) {
        self.init(id: record.id, deploymentId: record.deploymentId, time: record.time, actor: record.actor, kind: record.kind, message: record.message)
    }

    /// An entry of the audit trail as an auditor reads it: with why and from where.
    init(auditEntry record: EventRecord) {
        self.init(id: record.id, deploymentId: record.deploymentId, time: record.time, actor: record.actor, kind: record.kind, message: record.message,
                  reason: record.reason, ticket: record.ticket, origin: record.origin)
    }
}

import WavelineAPI
import WavelineCore
import WavelineStore

// Store records of nodes as the API shows them.

extension NodeStateView {
    public init(_ record: NodeStateRecord) {
        self.init(
            deploymentId: record.deploymentId,
            operation: record.operation,
            outcome: record.outcome,
            finishedAt: record.finishedAt,
            version: record.version,
            configDigest: record.configDigest
        )
    }
}

extension NodeRunView {
    public init(_ record: NodeRunRecord) {
        self.init(
            deploymentId: record.deploymentId,
            targetIndex: record.targetIndex,
            kind: record.kind,
            status: record.status,
            attempt: record.attempt,
            operation: record.operation,
            deploymentStatus: record.deploymentStatus,
            requestedBy: record.requestedBy,
            version: record.parameters["version"],
            currentStep: record.currentStep,
            failure: record.failure,
            startedAt: record.startedAt,
            finishedAt: record.finishedAt
        )
    }
}

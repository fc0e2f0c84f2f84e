import WavelineCore
import WavelineStore

/// The store as the engine and the API see it: what is written is masked first (events, log lines, failure
/// reasons, status reasons), so no secret value reaches the database or, through it, an API response.
final class MaskingStore: DeploymentStoreDecorator {
    let base: any DeploymentStore
    let masker: SecretMasker

    init(base: any DeploymentStore, masker: SecretMasker) {
        self.base = base
        self.masker = masker
    }

    func write(_ changes: [StoreChange]) async throws {
        guard !masker.isEmpty else { return try await base.write(changes) }
        try await base.write(changes.map(mask))
    }

    /// Text from the server, nodes and steps is masked; what a caller typed (a reason, a ticket) is kept as
    /// typed, since masking it would tell them which of the strings they sent is a secret. A deployment's
    /// parameters are hidden by the engine when it is created (`HiddenParameters`).
    private func mask(_ change: StoreChange) -> StoreChange {
        switch change {
        case .saveDeployment(var record):
            record.statusReason = record.statusReason.map { masker.mask($0, deployment: record.id) }
            return .saveDeployment(record)
        case .saveTarget(var record):
            if var failure = record.failure {
                failure.reason = masker.mask(failure.reason, deployment: record.deploymentId)
                failure.step = masker.mask(failure.step, deployment: record.deploymentId)
                record.failure = failure
            }
            record.currentStep = record.currentStep.map { masker.mask($0, deployment: record.deploymentId) }
            return .saveTarget(record)
        case .saveStepRun(var record):
            record.reason = record.reason.map { masker.mask($0, deployment: record.deploymentId) }
            record.name = masker.mask(record.name, deployment: record.deploymentId)
            return .saveStepRun(record)
        case .appendEvent(var event):
            event.message = masker.mask(event.message, deployment: event.deploymentId, keepingSuffix: event.reason)
            return .appendEvent(event)
        case .appendLogs, .savePhase, .saveNodeState, .saveUser, .saveToken, .saveSession, .remove,
             .saveDelivery, .saveNotificationThread, .settleOutbox:
            // Log lines are masked by the log pipeline, before live viewers see them too.
            return change
        }
    }
}

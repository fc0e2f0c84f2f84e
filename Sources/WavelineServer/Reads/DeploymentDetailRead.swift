import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineStore

/// A deployment's detail: its phases with their counts and batches, every node, and its first failed nodes
/// with the end of their logs. The API's `GET /deployments/{id}` and the deployment page read it here.
struct DeploymentDetailRead: Sendable {
    let reader: any DeploymentReader

    /// Failed nodes shown, each with its last lines.
    static let failureLimit = 20
    static let failureLines = 8

    /// The detail of a deployment the caller may read (404, 403 otherwise).
    func detail(_ id: Int64, context: WavelineRequestContext) async throws -> DeploymentDetail {
        try await DeploymentAccess(reader: reader).authorizeRead(id, context: context)
        return try await detail(id)
    }

    /// The detail, for a caller already allowed to act on it (it was just created or acted on).
    func detail(_ id: Int64) async throws -> DeploymentDetail {
        let record = try await DeploymentAccess(reader: reader).record(id)
        let phases = try await reader.phases(of: id)
        let targets = try await reader.targets(of: id)
        let counts = TargetStatusCount.tally(targets)
        let phaseViews = DeploymentCounting.phaseViews(phases, counts: counts) { phase in
            phase.batches.map { $0.compactMap { targets.indices.contains($0) ? targets[$0].node : nil } }
        }
        var failures: [FailureView] = []
        for target in targets where target.status == .failed || target.status == .interrupted {
            guard failures.count < Self.failureLimit, let failure = target.failure else { continue }
            let lines = try await reader.lastLogLines(of: id, target: target.targetIndex, count: Self.failureLines)
            failures.append(FailureView(
                node: target.node, stage: failure.stage, step: failure.step, exitCode: failure.exitCode,
                reason: failure.reason, lastLines: lines.map { LogLineView($0, node: target.node) }
            ))
        }
        return DeploymentDetail(
            deployment: DeploymentSummary(record), phases: phaseViews, targets: targets.map(TargetView.init),
            failures: failures, counts: DeploymentCounting.total(counts, phases: phases)
        )
    }

    /// The detail of a deployment the engine just created for the caller.
    func detail(ofCreated record: DeploymentRecord) async throws -> DeploymentDetail {
        try await detail(record.id)
    }

    /// Whether the deployment's operation, as snapshotted, has rollback steps (the page offers rollback then).
    func hasRollbackSteps(_ id: Int64) async throws -> Bool {
        let operation = try? await reader.deployment(id)?.decodedOperation()
        return !(operation?.rollback.isEmpty ?? true)
    }
}

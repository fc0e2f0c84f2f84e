import WavelineCore
import WavelineStore

extension NodeStateRecord {
    /// What a finished run leaves on its node, or nil when it leaves nothing to record: only deploy runs that
    /// succeeded or failed change what Waveline last put there (a cancelled run never reached its end, a
    /// rollback run is recorded in the node's history).
    init?(job: TargetJob, finished target: TargetRecord, now: Double) {
        guard target.kind == .deploy, target.status == .succeeded || target.status == .failed else { return nil }
        self.init(
            node: target.node, cluster: target.cluster, environment: target.environment, product: target.product,
            deploymentId: job.deploymentID, operation: job.operation.name, outcome: target.status,
            // The parameters as shown: a hidden value is neither stored nor digested (a digest of a short
            // password can be guessed offline).
            finishedAt: target.finishedAt ?? now, version: job.shownParameters["version"],
            configDigest: ConfigDigest.of(parameters: job.shownParameters, variables: job.node.variables)
        )
    }
}

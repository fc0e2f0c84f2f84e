import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineStore

/// `GET /deployments`: a page of deployments, newest first, filtered by the query and by what the caller may
/// read.
struct DeploymentListRead: Sendable {
    let reader: any DeploymentReader

    func page(_ query: QueryValues, context: WavelineRequestContext) async throws -> DeploymentList {
        var filter = DeploymentQuery()
        filter.statuses = try query.values("status", of: DeploymentStatus.self)
        filter.environment = try query.name("environment")
        filter.product = try query.name("product")
        filter.requestedBy = try query.userName("requested_by")
        filter.text = query.string("q")
        filter.beforeID = try query.id("before", what: "a deployment id (a positive whole number)")
        filter.limit = try query.int("limit", in: 1...500) ?? filter.limit
        let caller = try context.signedIn()
        let records = try await reader.deployments(filter)
        // Deployments outside the caller's read scope are left out; the cursor still follows the store's page.
        return DeploymentList(
            deployments: records.filter { caller.may(.read, places: $0.places) }.map(DeploymentSummary.init),
            nextBefore: records.count == filter.limit ? records.last?.id : nil
        )
    }
}

/// The summary page's cards: the latest deployments the viewer may read, each with what its card shows,
/// counted as the deployment's detail counts (`DeploymentCounting`) from one overview read for all of them.
struct SummaryCardsRead: Sendable {
    let reader: any DeploymentReader

    static let limit = 50
    /// Failed nodes read per deployment, as the deployment's detail reads them: the card shows five and counts
    /// the rest up to this.
    static let failureLimit = DeploymentDetailRead.failureLimit

    struct Cards: Sendable {
        var details: [DeploymentDetail]
        /// A filter that could not be applied, said plainly.
        var problem: String?
    }

    func cards(environment: String?, product: String?, state: String?, person: String?, viewer: Identity?) async throws -> Cards {
        var query = DeploymentQuery(environment: environment, product: product, requestedBy: person, limit: Self.limit)
        var problem: String?
        if let state {
            if state == "active" {
                query.statuses = DeploymentStatus.allCases.filter { !$0.isFinal }
            } else if let status = DeploymentStatus(rawValue: state) {
                query.statuses = [status]
            } else {
                problem = "Unknown state \(state.callerQuoted): showing every state."
            }
        }
        let records = try await reader.deployments(query).filter { viewer?.may(.read, places: $0.places) ?? false }
        // One read for all listed deployments, shaped for the cards: not each one's full detail. A card shows a
        // failed node's last line that is not a system line among its last 8 (`Components.failure`), so only
        // that line is read.
        let overviews = try await reader.overviews(
            of: records.map(\.id), failureLimit: Self.failureLimit, lastLines: 1, window: DeploymentDetailRead.failureLines
        )
        return Cards(details: records.map { Self.card($0, overviews[$0.id] ?? DeploymentOverview()) }, problem: problem)
    }

    /// What a card shows of a deployment: its detail without the targets and batches the card does not show.
    static func card(_ record: DeploymentRecord, _ overview: DeploymentOverview) -> DeploymentDetail {
        let failures = overview.failures.map { failed in
            FailureView(
                node: failed.node, stage: failed.failure.stage, step: failed.failure.step, exitCode: failed.failure.exitCode,
                reason: failed.failure.reason, lastLines: failed.lastLines.map { LogLineView($0, node: failed.node) }
            )
        }
        return DeploymentDetail(
            deployment: DeploymentSummary(record), phases: DeploymentCounting.phaseViews(overview.phases, counts: overview.counts),
            targets: [], failures: failures, counts: DeploymentCounting.total(overview.counts, phases: overview.phases)
        )
    }
}

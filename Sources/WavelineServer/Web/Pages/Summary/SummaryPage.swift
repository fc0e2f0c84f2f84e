import Foundation
import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineEngine
import WavelineStore

/// `/`: every running and recent deployment with its progress per phase and failure points, filtered by a GET
/// form. The part below the filters is the live region the script replaces when a deployment changes.
struct SummaryPage {
    struct Filters: Sendable, Hashable {
        var environment: String?
        var product: String?
        /// A deployment status, or "active" for every unfinished one.
        var state: String?
        var person: String?

        init(environment: String? = nil, product: String? = nil, state: String? = nil, person: String? = nil) {
            func clean(_ value: String?) -> String? {
                let trimmed = value?.trimmingCharacters(in: .whitespaces) ?? ""
                return trimmed.isEmpty ? nil : trimmed
            }
            self.environment = clean(environment)
            self.product = clean(product)
            self.state = clean(state)
            self.person = clean(person)
        }

        var isEmpty: Bool { environment == nil && product == nil && state == nil && person == nil }
    }

    var filters: Filters
    var environments: [String]
    var products: [String]
    var active: [DeploymentDetail]
    var finished: [DeploymentDetail]
    /// A filter that could not be applied, said plainly.
    var problem: String?
    var now: Double
    /// The live region already rendered (by `SummaryCache`); then `active` and `finished` are not read.
    var renderedLive: HTML?

    static let limit = 50
    /// Failed nodes read per deployment, as the deployment's detail reads them: the card shows five and counts
    /// the rest up to this.
    static let failureLimit = 20

    /// What a card shows of a deployment, as `DeploymentView.detail` computes it (the same counts, phases and
    /// failures), without the targets and batches the card does not show. A card shows a failed node's last
    /// line that is not a system line among its last 8 (`Components.failure`), so only that line is read.
    static func cardDetail(_ record: DeploymentRecord, _ overview: DeploymentOverview) -> DeploymentDetail {
        func add(_ count: TargetStatusCount, to counts: inout StatusCounts) {
            switch count.status {
            case .pending: counts.pending += count.count
            case .running: counts.running += count.count
            case .succeeded: counts.succeeded += count.count
            case .failed: counts.failed += count.count
            case .skipped: counts.skipped += count.count
            case .cancelled: counts.cancelled += count.count
            case .interrupted: counts.interrupted += count.count
            }
        }
        let countedKind = overview.phases.last?.kind ?? .deploy
        var counts = StatusCounts()
        for count in overview.counts where count.kind == countedKind { add(count, to: &counts) }
        let phaseViews = overview.phases.map { phase in
            var phaseCounts = StatusCounts()
            for count in overview.counts where count.phaseIndex == phase.phaseIndex { add(count, to: &phaseCounts) }
            return PhaseView(
                index: phase.phaseIndex, name: phase.name, kind: phase.kind, status: phase.status,
                gate: ((try? JSONText.decodeMemoized(PhaseSpec.Gate.self, from: phase.gateJson)) ?? .automatic).description, gateOpensAt: phase.gateOpensAt, approvedBy: phase.approvedBy,
                parallelism: phase.parallelism, failureBudget: phase.failureBudget, batches: [],
                counts: phaseCounts, startedAt: phase.startedAt, finishedAt: phase.finishedAt
            )
        }
        let failures = overview.failures.map { failed in
            FailureView(
                node: failed.node, stage: failed.failure.stage, step: failed.failure.step, exitCode: failed.failure.exitCode,
                reason: failed.failure.reason, lastLines: failed.lastLines.map { LogLineView($0, node: failed.node) }
            )
        }
        return DeploymentDetail(deployment: DeploymentSummary(record), phases: phaseViews, targets: [], failures: failures, counts: counts)
    }

    /// The page, its live region from `SummaryCache` when the store has not changed since it was rendered. The
    /// cards are those the viewer may read, so viewers share a cached region only when their grants are the same.
    static func load(engine: Engine, filters: Filters, viewer: Viewer, cache: SummaryCache, now: Double) async throws -> SummaryPage {
        let inventory = await engine.workspace.inventory
        let grants = viewer.identity?.grants ?? []
        let live = try await cache.live(filters, grants: grants, store: engine.store) {
            try await loadLive(engine: engine, filters: filters, now: now, visible: { viewer.identity?.may(.read, places: $0.places) ?? false }).renderLive()
        }
        return SummaryPage(
            filters: filters, environments: inventory.environments.map(\.name), products: inventory.products.map(\.name),
            active: [], finished: [], problem: nil, now: now, renderedLive: live
        )
    }

    /// The page read from the store, for its live region; `visible` says which deployments the viewer may read.
    static func loadLive(engine: Engine, filters: Filters, now: Double, visible: (DeploymentRecord) -> Bool) async throws -> SummaryPage {
        let inventory = await engine.workspace.inventory
        var query = DeploymentQuery(environment: filters.environment, product: filters.product, requestedBy: filters.person, limit: limit)
        var problem: String?
        if let state = filters.state {
            if state == "active" {
                query.statuses = DeploymentStatus.allCases.filter { !$0.isFinal }
            } else if let status = DeploymentStatus(rawValue: state) {
                query.statuses = [status]
            } else {
                problem = "Unknown state \(state.callerQuoted): showing every state."
            }
        }
        let records = try await engine.store.deployments(query).filter(visible)
        // One read for all listed deployments, shaped for the cards: not each one's full detail.
        let overviews = try await engine.store.overviews(of: records.map(\.id), failureLimit: failureLimit, lastLines: 1, window: 8)
        let details = records.map { cardDetail($0, overviews[$0.id] ?? DeploymentOverview()) }
        return SummaryPage(
            filters: filters,
            environments: inventory.environments.map(\.name),
            products: inventory.products.map(\.name),
            active: details.filter { !$0.deployment.status.isFinal },
            finished: details.filter { $0.deployment.status.isFinal },
            problem: problem,
            now: now
        )
    }

    func render(viewer: Viewer) -> HTML {
        Layout.page(title: "Deployments", viewer: viewer, current: "/", body: """
            <h1>Deployments</h1>
            \(filterForm())
            <div id="live" class="live" data-live-events="/ui/events" aria-live="polite">
            \(renderLive())
            </div>
            """)
    }

    /// The live region's content.
    func renderLive() -> HTML {
        if let renderedLive { return renderedLive }
        let problemNote: HTML = problem.map { "<p class=\"flash flash-error\" role=\"alert\">\($0)</p>" } ?? .empty
        let activeList: HTML = active.isEmpty
            ? "<p class=\"empty\">No deployment in progress\(filters.isEmpty ? "" : " matches these filters").</p>"
            : "<ol class=\"deployments\">\(active.map(card))</ol>"
        let finishedList: HTML = finished.isEmpty
            ? "<p class=\"empty\">No finished deployment\(filters.isEmpty ? "" : " matches these filters").</p>"
            : "<ol class=\"deployments\">\(finished.map(card))</ol>"
        return """
            \(problemNote)
            <section aria-labelledby="active-heading">
            <h2 id="active-heading">In progress <span class="count">(\(active.count))</span></h2>
            \(activeList)
            </section>
            <section aria-labelledby="finished-heading">
            <h2 id="finished-heading">Recent <span class="count">(\(finished.count))</span></h2>
            \(finishedList)
            </section>
            """
    }

    func filterForm() -> HTML {
        func select(_ name: String, _ label: String, _ options: [String], _ selected: String?, any: String) -> HTML {
            let items: [HTML] = options.map { option in
                "<option value=\"\(option)\"\(option == selected ? HTML(unsafeMarkup: " selected") : .empty)>\(option.replacingOccurrences(of: "_", with: " "))</option>"
            }
            return """
                <div class="field"><label for="filter-\(name)">\(label)</label>
                <select id="filter-\(name)" name="\(name)"><option value="">\(any)</option>\(items)</select></div>
                """
        }
        let states = ["active"] + DeploymentStatus.allCases.map(\.rawValue)
        return """
            <form class="filters" method="get" action="/" role="search" aria-label="Filter deployments">
            \(select("environment", "Environment", environments, filters.environment, any: "any"))
            \(select("product", "Product", products, filters.product, any: "any"))
            \(select("state", "State", states, filters.state, any: "any"))
            <div class="field"><label for="filter-person">Requested by</label>
            <input id="filter-person" name="person" type="text" value="\(filters.person)" size="12"></div>
            <div class="field buttons"><button type="submit" class="button">Filter</button>
            \(filters.isEmpty ? HTML.empty : "<a href=\"/\">Clear</a>")</div>
            </form>
            """
    }

    func card(_ detail: DeploymentDetail) -> HTML {
        let deployment = detail.deployment
        let phases: [HTML] = detail.phases.filter { $0.kind == .deploy || detail.deployment.status == .rollingBack || detail.deployment.status == .rolledBack }.map { phase in
            Components.progress(phase.counts, label: phase.name + (phase.status == .gate ? " (gate)" : ""))
        }
        let shownFailures = detail.failures.prefix(5)
        let failures: [HTML] = shownFailures.map { Components.failure($0, deployment: deployment.id, lines: 1) }
        let moreFailures = detail.failures.count - shownFailures.count
        let failed = detail.counts.failed + detail.counts.interrupted
        let failureSection: HTML = failures.isEmpty ? .empty : """
            <div class="failures"><h4>Failure points <span class="count">(\(failed))</span></h4>
            <ul>\(failures)</ul>\(moreFailures > 0 ? "<p><a href=\"/deployments/\(deployment.id)\">and \(moreFailures) more</a></p>" : HTML.empty)</div>
            """
        let waiting = detail.phases.first { $0.status == .gate && $0.gate == "manual" && $0.approvedBy == nil }
        let gateNote: HTML = waiting.map { "<p class=\"gate-note\"><span aria-hidden=\"true\">⏵</span> Waiting for approval after phase <strong>\($0.name)</strong></p>" } ?? .empty
        return """
            <li class="deployment-card state-\(deployment.status.rawValue)" id="deployment-\(deployment.id)" data-status="\(deployment.status.rawValue)">
            <h3><a href="/deployments/\(deployment.id)">#\(deployment.id) \(deployment.operation)</a> \(Formatting.badge(deployment.status))</h3>
            \(Components.facts([
                ("Environment", "\(deployment.environments.joined(separator: ", "))"),
                ("Products", "\(deployment.products.joined(separator: ", "))"),
                ("Requested by", "\(deployment.requestedBy)"),
                ("Ticket", deployment.ticket.map { "\($0)" }),
                ("Elapsed", Formatting.elapsed(from: deployment.startedAt ?? deployment.createdAt, to: deployment.finishedAt, now: now)),
                ("Nodes", "\(deployment.targetCount)"),
            ]))
            <p class="reason">\(deployment.reason)\(deployment.statusReason.map { " — \($0)" })</p>
            \(gateNote)
            <div class="phases">\(phases)</div>
            \(failureSection)
            </li>
            """
    }
}

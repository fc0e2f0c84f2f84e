import Foundation
import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineEngine

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

    /// The page, its live region from `SummaryCache` when the store has not changed since it was rendered. The
    /// cards are those the viewer may read, so viewers share a cached region only when their grants are the same.
    static func load(engine: Engine, reads: ReadSide, filters: Filters, viewer: Viewer, cache: SummaryCache, now: Double) async throws -> SummaryPage {
        let inventory = await engine.workspace.inventory
        let grants = viewer.identity?.grants ?? []
        let live = try await cache.live(filters, grants: grants, writeCount: reads.writeCount) {
            try await loadLive(engine: engine, reads: reads, filters: filters, viewer: viewer.identity, now: now).renderLive()
        }
        return SummaryPage(
            filters: filters, environments: inventory.environments.map(\.name), products: inventory.products.map(\.name),
            active: [], finished: [], problem: nil, now: now, renderedLive: live
        )
    }

    /// The page read from the store, for its live region: the cards `viewer` may read.
    static func loadLive(engine: Engine, reads: ReadSide, filters: Filters, viewer: Identity?, now: Double) async throws -> SummaryPage {
        let inventory = await engine.workspace.inventory
        let cards = try await reads.summaryCards.cards(
            environment: filters.environment, product: filters.product, state: filters.state, person: filters.person, viewer: viewer
        )
        return SummaryPage(
            filters: filters,
            environments: inventory.environments.map(\.name),
            products: inventory.products.map(\.name),
            active: cards.details.filter { !$0.deployment.status.isFinal },
            finished: cards.details.filter { $0.deployment.status.isFinal },
            problem: cards.problem,
            now: now
        )
    }

    func render(viewer: Viewer) -> HTML {
        Layout.page(title: "Deployments", viewer: viewer, current: "/", body: """
            <h1>Deployments</h1>
            \(filterForm())
            <div id="live" class="live" data-live-events="/ui/events">
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
            \(LiveStatus.summary(active: active))
            \(problemNote)
            <section aria-labelledby="active-heading" data-key="active">
            <h2 id="active-heading">In progress <span class="count">(\(active.count))</span></h2>
            \(activeList)
            </section>
            <section aria-labelledby="finished-heading" data-key="finished">
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
            Components.progress(phase.counts, label: phase.name + (phase.status == .gate ? " (gate)" : ""), key: "phase-\(phase.index)")
        }
        let shownFailures = detail.failures.prefix(5)
        let failures: [HTML] = shownFailures.map { Components.failure($0, deployment: deployment.id, lines: 1) }
        let moreFailures = detail.failures.count - shownFailures.count
        let failed = detail.counts.failed + detail.counts.interrupted
        let failureSection: HTML = failures.isEmpty ? .empty : """
            <div class="failures"><h4>Failure points <span class="count">(\(failed))</span></h4>
            <ul>\(failures)</ul>\(moreFailures > 0 ? "<p><a href=\"/deployments/\(deployment.id)\">and \(moreFailures) more</a></p>" : HTML.empty)</div>
            """
        // A failed state says where its next step is (the deployment page offers it to those who may).
        let nextStep: HTML = switch deployment.status {
        case .finishedWithFailures: "<p class=\"next-step\"><a href=\"/deployments/\(deployment.id)#next-step\">Next: retry the failed nodes, or roll back</a></p>"
        case .halted: "<p class=\"next-step\"><a href=\"/deployments/\(deployment.id)#next-step\">Next: retry or skip the failed nodes, then resume; or abort</a></p>"
        case .failed: "<p class=\"next-step\"><a href=\"/deployments/\(deployment.id)#next-step\">Next: see what to fix</a></p>"
        default: .empty
        }
        let waiting = detail.phases.first { $0.status == .gate && $0.gate == "manual" && $0.approvedBy == nil }
        let gateNote: HTML = waiting.map { "<p class=\"gate-note\"><span aria-hidden=\"true\">\(Formatting.awaitingApproval)</span> Waiting for approval after phase <strong>\($0.name)</strong></p>" } ?? .empty
        return """
            <li class="deployment-card state-\(deployment.status.rawValue)" id="deployment-\(deployment.id)" data-status="\(deployment.status.rawValue)">
            <h3><a href="/deployments/\(deployment.id)">#\(deployment.id) \(deployment.operation)</a> \(Formatting.badge(deployment.status))</h3>
            \(Components.facts([
                ("Environment", "\(deployment.environments.joined(separator: ", "))"),
                ("Products", "\(deployment.products.joined(separator: ", "))"),
                ("Requested by", "\(deployment.requestedBy)"),
                ("Ticket", Components.ticket(deployment)),
                ("Elapsed", Formatting.elapsed(from: deployment.startedAt ?? deployment.createdAt, to: deployment.finishedAt, now: now)),
                ("Nodes", "\(deployment.targetCount)"),
            ]))
            <p class="reason">\(deployment.reason)\(deployment.statusReason.map { " — \($0)" })</p>
            \(gateNote)
            <div class="phases">\(phases)</div>
            \(failureSection)
            \(nextStep)
            </li>
            """
    }
}

import Foundation
import WavelineAPI
import WavelineCore

/// The audit trail, newest first: who did what, when, from where and why, filterable by person, kind and
/// deployment, with the hash chain's verdict on top.
struct AuditPage {
    struct Filters: Sendable {
        var actor: String?
        var kind: String?
        var deployment: String?
        var before: String?
        /// Check the whole hash chain (reads every entry, so only on request).
        var verify = false
    }

    static let pageSize = 100

    var filters: Filters
    var events: [EventView]
    var report: AuditReport?
    var problem: String?

    /// For a caller who may read the audit trail (403 otherwise).
    static func load(reads: ReadSide, filters: Filters, context: WavelineRequestContext) async throws -> AuditPage {
        let entries = try await reads.audit.entries(
            actor: filters.actor, kind: filters.kind, deployment: filters.deployment, before: filters.before, verify: filters.verify,
            pageSize: pageSize, context: context
        )
        return AuditPage(filters: filters, events: entries.events, report: entries.report, problem: entries.problem)
    }

    func render(viewer: Viewer) -> HTML {
        let kindOptions: [HTML] = AuditRead.kinds.map { kind in
            "<option value=\"\(kind.prefix)\"\(filters.kind == kind.prefix ? HTML(unsafeMarkup: " selected") : .empty)>\(kind.label)</option>"
        }
        let rows: [HTML] = events.map { event in
            let deployment: HTML = event.deploymentId.map { "<a href=\"/deployments/\($0)\">#\($0)</a>" } ?? "—"
            let why = [event.reason, event.ticket.map { "ticket \($0)" }].compactMap { $0 }.joined(separator: " · ")
            return """
                <tr id="event-\(event.id)"><td>\(event.id)</td><td><time>\(Formatting.timestamp(event.time))</time></td>\
                <td>\(event.actor)</td><td><code>\(event.kind)</code></td><td>\(deployment)</td><td>\(event.message)</td>\
                <td>\(why)</td><td>\(event.origin ?? "")</td></tr>
                """
        }
        let verdict: HTML
        switch report {
        case nil:
            verdict = "<form method=\"get\" action=\"/audit\"><input type=\"hidden\" name=\"verify\" value=\"1\"><button type=\"submit\" class=\"button secondary\" id=\"verify\">Verify the hash chain</button></form>"
        case let report? where report.isIntact:
            verdict = "<p class=\"flash\" role=\"status\" id=\"audit-verdict\">The hash chain is intact: \(report.count) entries checked, the newest ends in <code>\(String((report.lastHash ?? "").prefix(16)))…</code>.</p>"
        case let report?:
            let more = report.moreProblems > 0 ? " and \(report.moreProblems) more" : ""
            verdict = "<p class=\"flash flash-error\" role=\"alert\" id=\"audit-verdict\">The audit trail was altered: \(report.problems.map { "#\($0.eventId) \($0.kind.rawValue): \($0.message)" }.joined(separator: "; "))\(more).</p>"
        }
        let problem: HTML = self.problem.map { "<p class=\"flash flash-error\" role=\"alert\">\($0)</p>" } ?? .empty
        var older: HTML = .empty
        if events.count == Self.pageSize, let last = events.last {
            var parts = [URLQueryItem(name: "before", value: "\(last.id)")]
            if let actor = filters.actor, !actor.isEmpty { parts.append(URLQueryItem(name: "actor", value: actor)) }
            if let kind = filters.kind, !kind.isEmpty { parts.append(URLQueryItem(name: "kind", value: kind)) }
            if let deployment = filters.deployment, !deployment.isEmpty { parts.append(URLQueryItem(name: "deployment", value: deployment)) }
            var components = URLComponents()
            components.queryItems = parts
            older = "<p><a href=\"/audit\(components.percentEncodedQuery.map { "?" + $0 } ?? "")\">Older entries</a></p>"
        }
        return Layout.page(title: "Audit trail", viewer: viewer, current: "/audit", body: """
            <h1>Audit trail</h1>
            \(verdict)
            \(problem)
            <form class="filters" method="get" action="/audit">
            <label for="filter-actor">Person</label> <input id="filter-actor" name="actor" type="text" value="\(filters.actor ?? "")" size="12">
            <label for="filter-kind">Kind</label> <select id="filter-kind" name="kind"><option value="">every kind</option>\(kindOptions)</select>
            <label for="filter-deployment">Deployment</label> <input id="filter-deployment" name="deployment" type="text" value="\(filters.deployment ?? "")" size="6">
            <button type="submit" class="button secondary">Filter</button>
            </form>
            \(Components.scrollBox(label: "Audit entries", """
            <table class="audit">
            <caption class="sr-only">Audit entries, newest first</caption>
            <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Deployment</th><th scope="col">Message</th><th scope="col">Why</th><th scope="col">From</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """))
            \(events.isEmpty ? "<p>No entries match.</p>" : HTML.empty)
            \(older)
            """)
    }
}

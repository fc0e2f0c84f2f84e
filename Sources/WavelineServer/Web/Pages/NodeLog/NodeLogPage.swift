import Foundation
import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineEngine

/// `/deployments/{id}/nodes/{node}`: one node's log, streams marked, step boundaries as headings, timings.
/// Without the script it is the log as stored when the page was read, filtered by `?q=`; with it, new lines are
/// appended as they are written (the API's log stream, resumed by event id) and the search filters as you type.
struct NodeLogPage {
    var deployment: DeploymentSummary
    var node: String
    var targets: [TargetView]
    var steps: [NodeLogRead.StepRow]
    var lines: [LogLineView]
    /// Lines read in all (before the search filter); the stream continues after the last one.
    var cursor: Int64
    var truncated: Bool
    var query: String?
    var now: Double

    static let lineLimit = 20_000

    /// For a caller who may read the deployment (404, 403 otherwise).
    static func load(reads: ReadSide, id: Int64, node: String, query: String?, context: WavelineRequestContext, now: Double) async throws -> NodeLogPage {
        let log = try await reads.nodeLog.log(of: node, in: id, lineLimit: lineLimit, context: context)
        let query = query.flatMap { $0.isEmpty ? nil : $0 }
        let shown = query.map { query in log.lines.filter { $0.text.localizedCaseInsensitiveContains(query) } } ?? log.lines
        return NodeLogPage(
            deployment: log.deployment, node: node, targets: log.targets, steps: log.steps,
            lines: shown, cursor: log.lines.last?.id ?? 0, truncated: log.truncated, query: query, now: now
        )
    }

    func render(viewer: Viewer) -> HTML {
        let id = deployment.id
        let latest = targets.last
        let follow = !deployment.status.isFinal
        let streamURL = "/api/v1/deployments/\(id)/logs/stream" + queryString([("node", node), ("after", String(cursor)), ("format", LogStreamFormat.batches.rawValue)])
        let failure: HTML = latest.flatMap { target in
            target.failure.map { failure -> HTML in
                let exit = Components.cause(exitCode: failure.exitCode, reason: failure.reason)
                return "<p class=\"failure-point\" role=\"note\"><span aria-hidden=\"true\">✗</span> Failed at \(failure.stage.word) <strong>\(failure.step)</strong>: \(exit)</p>"
            }
        } ?? .empty
        let first = lines.first?.time ?? steps.first?.startedAt ?? now
        let lineItems: [HTML] = lines.map { Self.line($0, start: first) }
        return Layout.page(title: "\(node) · #\(id)", viewer: viewer, current: "", body: """
            <p class="crumbs"><a href="/">Deployments</a> / <a href="/deployments/\(id)">#\(id) \(deployment.operation)</a> / \(node)</p>
            <h1>\(node) <span class="muted">in #\(id) \(deployment.operation)</span> \(latest.map { Formatting.badge($0.status) })</h1>
            \(Components.facts([
                ("Deployment", Formatting.badge(deployment.status)),
                ("Cluster", latest.map { "\($0.cluster) · \($0.zone)" }),
                ("Current step", latest.flatMap { $0.status == .running ? $0.currentStep.map { "\($0)" } : nil }),
                ("Attempts", latest.map { "\($0.attempt)" }),
                ("Elapsed", latest.map { Formatting.elapsed(from: $0.startedAt, to: $0.finishedAt, now: now) }),
            ]))
            \(failure)
            \(nextStep(viewer: viewer))
            \(stepsTable())
            <section aria-labelledby="log-heading">
            <h2 id="log-heading">Log</h2>
            <form class="search" method="get" role="search" aria-label="Search the log">
            <label for="q">Search lines</label>
            <input id="q" name="q" type="search" value="\(query)" data-filter-target="log">
            <button type="submit" class="button">Search</button>
            \(query == nil ? HTML.empty : "<a href=\"/deployments/\(id)/nodes/\(urlComponent(node))\">Show all</a>")
            <span class="search-count" id="search-count" aria-live="polite">\(query == nil ? "" : "\(lines.count) matching lines")</span>
            </form>
            <p class="legend muted"><span class="tag tag-out">out</span> stdout · <span class="tag tag-err">err</span> stderr · <span class="tag tag-sys">sys</span> Waveline (▶ step started, ■ step ended). Times are UTC; +s since the first line.</p>
            \(truncated ? "<p class=\"muted\">Showing the first \(Self.lineLimit) lines; the rest follow below as they load.</p>" : HTML.empty)
            <div id="log-box" class="log-box" role="log" tabindex="0" aria-label="Log of \(node)">
            <ol id="log" class="log" data-start="\(String(first))"\(follow ? HTML(unsafeMarkup: " data-stream=\"\(HTML.escape(streamURL))\"") : .empty)>
            \(lineItems)
            </ol>
            </div>
            <p id="log-status" class="muted" aria-live="polite">\(follow ? "Following: new lines appear as they are written (reload without the script)." : "The deployment is \(Formatting.label(deployment.status)); the log is complete.")</p>
            </section>
            """)
    }

    /// After this node failed: retry it (for those who may), or who may; the deployment page has the rest.
    func nextStep(viewer: Viewer) -> HTML {
        guard let latest = targets.last, latest.status == .failed || latest.status == .interrupted else { return .empty }
        let status = deployment.status
        let retryable = status == .finishedWithFailures || status == .halted || status == .paused || status.isActive
        guard retryable else {
            return "<p class=\"next-step hint\">The deployment is \(Formatting.label(status)): see <a href=\"/deployments/\(deployment.id)#next-step\">what can be done next</a>.</p>"
        }
        let permission = OperatorAction.retry.permission(deploymentStatus: status)
        if viewer.may(permission, environments: deployment.environments, products: deployment.products) {
            return """
                <section class="next-step" aria-label="Next step for \(node)">
                <p>Fix what the log below shows, then run this node again.</p>
                <div class="action-row">\(Forms.action("retry", deployment: deployment.id, nodes: [node], label: "Retry \(node)", viewer: viewer, style: "primary"))</div>
                </section>
                """
        }
        let role = Permissions.table.first { $0.action == permission }?.minimumRole ?? .admin
        let place = deployment.products.joined(separator: ", ") + " in " + deployment.environments.joined(separator: ", ")
        return "<p class=\"next-step hint\">Retrying \(node) is possible: people with the \(role.rawValue) role (or above) for \(place) may do it.</p>"
    }

    /// One line; system lines that open or close a step are headings of the log.
    static func line(_ line: LogLineView, start: Double) -> HTML {
        let boundary = line.stream == "system" && (line.text.hasPrefix("▶") || line.text.hasPrefix("■"))
        let classes = "line stream-\(line.stream)" + (boundary ? " boundary" : "") + (line.text.hasPrefix("■") && !line.text.contains(" succeeded ") ? " boundary-end" : "")
        return """
            <li class="\(classes)" id="line-\(line.id)" data-id="\(line.id)">\
            <time class="t" title="\(Formatting.timestamp(line.time))">\(Formatting.clock(line.time))</time>\
            <span class="offset">+\(Formatting.duration(line.time - start))</span>\
            <span class="tag tag-\(Components.streamTag(line.stream))">\(Components.streamTag(line.stream))</span>\
            <span class="text">\(line.text)</span></li>
            """
    }

    func stepsTable() -> HTML {
        guard !steps.isEmpty else { return .empty }
        let rows: [HTML] = steps.map { step in
            let duration: HTML = step.finishedAt.map { "\(Formatting.duration($0 - step.startedAt))" } ?? Formatting.elapsed(from: step.startedAt, to: nil, now: now)
            return """
                <tr class="step-\(step.status)"><td>\(step.stage.word)</td><td>\(step.name)</td><td>\(step.attempt)</td>\
                <td>\(step.status.replacingOccurrences(of: "_", with: " "))</td><td>\(step.exitCode.map { "\($0)" } ?? "")</td>\
                <td><time>\(Formatting.clock(step.startedAt))</time></td><td>\(duration)</td><td>\(step.reason)</td></tr>
                """
        }
        return """
            <section aria-labelledby="steps-heading">
            <h2 id="steps-heading">Steps</h2>
            \(Components.scrollBox(label: "Steps of \(node)", """
            <table class="steps">
            <thead><tr><th scope="col">Stage</th><th scope="col">Step</th><th scope="col">Try</th><th scope="col">Status</th><th scope="col">Exit</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Reason</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """))
            </section>
            """
    }
}

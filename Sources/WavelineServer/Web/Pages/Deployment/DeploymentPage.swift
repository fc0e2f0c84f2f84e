import Foundation
import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineEngine

/// `/deployments/{id}`: the phases and batches as a timeline, the nodes as a grid grouped by cluster and zone,
/// the gate waiting for approval, the operator actions valid now, failure points and the latest events.
struct DeploymentPage {
    var detail: DeploymentDetail
    var hasRollbackSteps: Bool
    /// The latest, newest first.
    var events: [EventView]
    var now: Double
    /// Slack and Jira deliveries (the Notifications panel); nil when the server has no integrations and the
    /// deployment no outbox rows.
    var notifications: NotificationList? = nil

    static let eventCount = 15

    /// For a caller who may read the deployment (404, 403 otherwise).
    static func load(reads: ReadSide, id: Int64, context: WavelineRequestContext, now: Double) async throws -> DeploymentPage {
        let detail = try await reads.deploymentDetail.detail(id, context: context)
        let notifications = try await reads.notifications.list(id, context: context)
        let shown = reads.integrationsConfigured || notifications.thread != nil || !notifications.notifications.isEmpty
        return DeploymentPage(
            detail: detail, hasRollbackSteps: try await reads.deploymentDetail.hasRollbackSteps(id),
            events: try await reads.events.latest(of: id, count: eventCount), now: now, notifications: shown ? notifications : nil
        )
    }

    var id: Int64 { detail.deployment.id }

    func render(viewer: Viewer) -> HTML {
        let deployment = detail.deployment
        return Layout.page(title: "#\(deployment.id) \(deployment.operation)", viewer: viewer, current: "", body: """
            <p class="crumbs"><a href="/">Deployments</a> / #\(deployment.id)</p>\(deployment.status.isFinal ? HTML.empty : noScriptNote)
            <div id="live" class="live" data-live-events="/ui/events?deployment=\(deployment.id)">
            \(renderLive(viewer: viewer))
            </div>
            """)
    }

    /// Without JavaScript nothing updates the page by itself: a running deployment's page says so.
    var noScriptNote: HTML {
        "<noscript><p class=\"hint\" id=\"no-script-refresh\">This page updates by itself only with JavaScript. <a href=\"/deployments/\(id)\">Reload</a> to see the latest state.</p></noscript>"
    }

    var waitingGate: PhaseView? {
        detail.phases.first { $0.status == .gate && $0.gate == "manual" && $0.approvedBy == nil }
    }

    func renderLive(viewer: Viewer) -> HTML {
        let deployment = detail.deployment
        let parameters = deployment.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return """
            <h1>#\(deployment.id) \(deployment.operation) \(Formatting.badge(deployment.status))</h1>
            \(LiveStatus.deployment(detail))
            \(deployment.statusReason.map { reason -> HTML in "<p class=\"status-reason\">\(reason)</p>" })
            \(Components.facts([
                ("Reason", "\(deployment.reason)"),
                ("Ticket", Components.ticket(deployment)),
                ("Requested by", "\(deployment.requestedBy)"),
                ("Environment", "\(deployment.environments.joined(separator: ", "))"),
                ("Selection", "\(deployment.selection)"),
                ("Parameters", parameters.isEmpty ? nil : "\(parameters)"),
                ("Strategy", "\(deployment.strategy)"),
                ("Created", "<time>\(Formatting.timestamp(deployment.createdAt))</time>"),
                ("Elapsed", Formatting.elapsed(from: deployment.startedAt ?? deployment.createdAt, to: deployment.finishedAt, now: now)),
            ]))
            \(approvalSection(viewer: viewer))
            \(gateSection(viewer: viewer))
            \(nextStepSection(viewer: viewer))
            \(actionsSection(viewer: viewer))
            \(failuresSection(viewer: viewer))
            \(timeline())
            \(grid())\(notificationsSection())
            \(eventsSection())
            """
    }

    /// Whether the viewer may take the action here (the permission table, in this deployment's scope). The
    /// engine still checks the state and four-eyes; the page only hides buttons that would be refused.
    func may(_ action: OperatorAction, _ viewer: Viewer) -> Bool {
        let deployment = detail.deployment
        return viewer.may(action.permission(deploymentStatus: deployment.status), environments: deployment.environments, products: deployment.products)
    }

    /// A deployment to a protected environment waits for a second person before it starts.
    func approvalSection(viewer: Viewer) -> HTML {
        let deployment = detail.deployment
        guard deployment.status == .pendingApproval else { return .empty }
        let protected = deployment.protectedEnvironments ?? []
        let button: HTML
        if deployment.requestedBy == viewer.name {
            button = "<p class=\"hint\">Someone other than you, with the approver role here, must approve it.</p>"
        } else if may(.approve, viewer) {
            button = Forms.action("approve", deployment: id, label: "Approve deployment", viewer: viewer, style: "primary", id: "approve")
        } else {
            button = "<p class=\"hint\">You may not approve it: that needs the approver role for \(deployment.products.joined(separator: ", ")) in \(deployment.environments.joined(separator: ", ")).</p>"
        }
        return """
            <section class="gate gate-waiting" aria-labelledby="approval-heading" data-key="approval">
            <h2 id="approval-heading"><span aria-hidden="true">\(Formatting.awaitingApproval)</span> Waiting for approval</h2>
            <p>It touches the protected \(protected.count == 1 ? "environment" : "environments") \(protected.joined(separator: ", ")) and starts once a second person approves it. Requested by <strong>\(deployment.requestedBy)</strong>\(deployment.ticket.map { ", ticket \($0)" } ?? "").</p>
            \(button)
            </section>
            """
    }

    func gateSection(viewer: Viewer) -> HTML {
        guard let phase = waitingGate else {
            if let baking = detail.phases.first(where: { $0.status == .gate }), let opens = baking.gateOpensAt {
                return "<section class=\"gate\" aria-labelledby=\"gate-heading\" data-key=\"gate\"><h2 id=\"gate-heading\">Gate</h2><p>Baking after phase <strong>\(baking.name)</strong>: the next phase starts in \(Formatting.duration(opens - now)).</p></section>"
            }
            return .empty
        }
        let next = detail.phases.first { $0.index == phase.index + 1 }
        return """
            <section class="gate gate-waiting" aria-labelledby="gate-heading" data-key="gate">
            <h2 id="gate-heading"><span aria-hidden="true">\(Formatting.awaitingApproval)</span> Waiting for approval</h2>
            <p>Phase <strong>\(phase.name)</strong> is done (\(phase.counts.succeeded) succeeded, \(phase.counts.failed) failed).
            Approve to start \(next.map { phase -> HTML in "phase <strong>\(phase.name)</strong> (\(phase.batches.joined().count) nodes)" } ?? "the next phase").</p>
            \(may(.approve, viewer) ? Forms.action("approve", deployment: id, label: "Approve next phase", viewer: viewer, style: "primary", id: "approve") : "<p class=\"hint\">Approving needs the approver role here.</p>")
            </section>
            """
    }

    /// The actions the deployment's state allows, as the engine checks them (it refuses anything else with a
    /// message that the page shows).
    func actionsSection(viewer: Viewer) -> HTML {
        let status = detail.deployment.status
        let failedNodes = detail.targets.filter { $0.status == .failed || $0.status == .interrupted }
        let interrupted = detail.targets.contains { $0.status == .interrupted }
        var buttons: [HTML] = []
        let pending = status == .pendingApproval || status == .queued
        if status.isActive && !pending && may(.pause, viewer) {
            buttons.append(Forms.action("pause", deployment: id, label: "Pause", viewer: viewer))
        }
        if (status == .paused || status == .halted) && !interrupted && may(.resume, viewer) {
            buttons.append(Forms.action("resume", deployment: id, label: "Resume", viewer: viewer, style: "primary"))
        }
        // A deployment that finished with failed nodes is reopened by a retry, which runs those nodes again.
        let retryable = (!status.isFinal && !pending) || status == .finishedWithFailures
        if retryable && !failedNodes.isEmpty && may(.retry, viewer) {
            buttons.append(Forms.action("retry", deployment: id, label: "Retry failed nodes (\(failedNodes.count))", viewer: viewer,
                                        style: status == .finishedWithFailures ? "primary" : "secondary"))
        }
        if hasRollbackSteps && status != .running && status != .rollingBack && status != .queued
            && !detail.phases.contains(where: { $0.kind == .rollback }) && detail.counts.succeeded > 0 && may(.rollback, viewer) {
            buttons.append(Forms.action("rollback", deployment: id, label: "Roll back", viewer: viewer, style: "danger",
                                        confirm: "Roll back deployment #\(id) on every node it completed?"))
        }
        if !status.isFinal && may(.abort, viewer) {
            buttons.append(Forms.action("abort", deployment: id, label: "Abort", viewer: viewer, style: "danger",
                                        confirm: "Abort deployment #\(id)? Running steps are stopped."))
        }
        guard !buttons.isEmpty else { return .empty }
        return """
            <section class="actions" aria-labelledby="actions-heading" data-key="actions">
            <h2 id="actions-heading">Actions</h2>
            <div class="action-row">\(buttons)</div>
            <p class="hint">Recorded as <strong>\(viewer.name)</strong>.</p>
            </section>
            """
    }

    func failuresSection(viewer: Viewer) -> HTML {
        guard !detail.failures.isEmpty else { return .empty }
        let status = detail.deployment.status
        let canAct = !status.isFinal && status != .queued && status != .pendingApproval && may(.retry, viewer)
        // Finished with failed nodes: each can be retried on its own (skipping is for one under way).
        let canRetryFinished = status == .finishedWithFailures && may(.retry, viewer)
        let items: [HTML] = detail.failures.map { failure in
            let buttons: HTML = canAct ? """
                <div class="action-row">\(Forms.action("retry", deployment: id, nodes: [failure.node], label: "Retry \(failure.node)", viewer: viewer))\
                \(Forms.action("skip", deployment: id, nodes: [failure.node], label: "Skip \(failure.node)", viewer: viewer))</div>
                """ : canRetryFinished ? """
                <div class="action-row">\(Forms.action("retry", deployment: id, nodes: [failure.node], label: "Retry \(failure.node)", viewer: viewer))</div>
                """ : .empty
            return Components.failure(failure, deployment: id, lines: 8, actions: buttons)
        }
        return """
            <section class="failures" aria-labelledby="failures-heading" data-key="failures">
            <h2 id="failures-heading">Failure points</h2>
            <ul>\(items)</ul>
            </section>
            """
    }

    func timeline() -> HTML {
        let targetsByNode = Dictionary(grouping: detail.targets, by: \.node)
        let phases: [HTML] = detail.phases.map { phase in
            let batches: [HTML] = phase.batches.enumerated().map { index, nodes in
                let chips: [HTML] = nodes.map { node in
                    let target = targetsByNode[node]?.last { $0.phase == phase.index } ?? targetsByNode[node]?.last
                    let status = target?.status ?? .pending
                    return "<li class=\"chip state-\(status.rawValue)\" data-key=\"\(node)\"><a href=\"/deployments/\(id)/nodes/\(urlComponent(node))\"><span aria-hidden=\"true\">\(Formatting.symbol(status))</span> \(node)<span class=\"sr-only\"> \(status.rawValue)</span></a></li>"
                }
                return "<li class=\"batch\" data-key=\"batch-\(index)\"><span class=\"batch-name\">batch \(index + 1)</span><ul class=\"chips\">\(chips)</ul></li>"
            }
            let timing: HTML
            if let started = phase.startedAt {
                timing = "started <time>\(Formatting.timestamp(started))</time>, \(Formatting.elapsed(from: started, to: phase.finishedAt, now: now))"
            } else {
                timing = "not started"
            }
            let state = phase.status.word(in: detail.deployment.status)
            let gate: HTML = phase.approvedBy.map { "gate \(phase.gate), approved by \($0)" } ?? "gate \(phase.gate)"
            return """
                <li class="phase phase-\(state.replacingOccurrences(of: " ", with: "-"))\(phase.index == detail.deployment.currentPhase ? " phase-current" : "")" data-key="phase-\(phase.index)">
                <h3>\(phase.name)\(phase.kind == .rollback ? " (rollback)" : "") <span class="phase-status">\(state)</span></h3>
                <p class="muted">\(timing) · parallelism \(phase.parallelism) · \(gate)</p>
                \(Components.progress(phase.counts, label: "nodes", key: "progress-\(phase.index)"))
                <ol class="batches">\(batches)</ol>
                </li>
                """
        }
        return """
            <section aria-labelledby="timeline-heading" data-key="timeline">
            <h2 id="timeline-heading">Phases</h2>
            <ol class="timeline">\(phases)</ol>
            </section>
            """
    }

    /// Nodes grouped by cluster then zone; a node rolled back shows its latest run.
    func grid() -> HTML {
        var latest: [String: TargetView] = [:]
        var order: [String] = []
        for target in detail.targets {
            if latest[target.node] == nil { order.append(target.node) }
            latest[target.node] = target
        }
        var clusters: [String] = []
        var byCluster: [String: [String: [TargetView]]] = [:]
        var zoneOrder: [String: [String]] = [:]
        for node in order {
            guard let target = latest[node] else { continue }
            if byCluster[target.cluster] == nil { clusters.append(target.cluster); byCluster[target.cluster] = [:] }
            if byCluster[target.cluster]?[target.zone] == nil { zoneOrder[target.cluster, default: []].append(target.zone) }
            byCluster[target.cluster]?[target.zone, default: []].append(target)
        }
        let sections: [HTML] = clusters.map { cluster in
            let zones: [HTML] = (zoneOrder[cluster] ?? []).sorted().map { zone in
                let nodes: [HTML] = (byCluster[cluster]?[zone] ?? []).map(nodeCell)
                return "<div class=\"zone\" data-key=\"zone-\(zone)\"><h4>\(zone)</h4><ul class=\"node-grid\">\(nodes)</ul></div>"
            }
            let first = byCluster[cluster]?.values.first?.first
            return """
                <section class="cluster" aria-label="Cluster \(cluster)" data-key="cluster-\(cluster)">
                <h3>\(cluster) <span class="muted">\(first.map { "\($0.product) · \($0.environment)" })</span></h3>
                <div class="zones">\(zones)</div>
                </section>
                """
        }
        return """
            <section aria-labelledby="nodes-heading" data-key="nodes">
            <h2 id="nodes-heading">Nodes</h2>
            \(sections)
            </section>
            """
    }

    func nodeCell(_ target: TargetView) -> HTML {
        let step: HTML
        if let failure = target.failure, target.status == .failed || target.status == .interrupted {
            step = "<span class=\"step\">\(failure.step)\(failure.exitCode.map { " (exit \($0))" })</span>"
        } else if let current = target.currentStep, target.status == .running {
            step = "<span class=\"step\">\(current)</span>"
        } else if let started = target.startedAt, let finished = target.finishedAt {
            step = "<span class=\"step muted\">\(Formatting.duration(finished - started))</span>"
        } else {
            step = "<span class=\"step muted\">phase \(target.phase + 1) · batch \(target.batch + 1)</span>"
        }
        return """
            <li class="node state-\(target.status.rawValue)" data-node="\(target.node)" data-status="\(target.status.rawValue)">\
            <a href="/deployments/\(id)/nodes/\(urlComponent(target.node))">\
            <span class="node-name">\(target.node)</span>\
            <span class="node-state"><span aria-hidden="true">\(Formatting.symbol(target.status))</span> \(target.status.rawValue)\(target.kind == .rollback ? " (rollback)" : "")\(target.attempt > 1 ? " · try \(target.attempt)" : "")</span>\
            \(step)</a></li>
            """
    }

    func eventsSection() -> HTML {
        guard !events.isEmpty else { return .empty }
        let items: [HTML] = events.map { event in
            "<li data-key=\"event-\(event.id)\"><time>\(Formatting.timestamp(event.time))</time> <span class=\"actor\">\(event.actor)</span> <span class=\"muted\">\(event.kind)</span> \(event.message)</li>"
        }
        return """
            <section aria-labelledby="events-heading" data-key="events">
            <h2 id="events-heading">Latest events</h2>
            <ol class="events">\(items)</ol>
            </section>
            """
    }
}

import WavelineAPI
import WavelineCore

/// The one line a live page announces: a short sentence of where things stand, rendered by the server in the page
/// and in every live update. It is the page's only `role="status"` (polite) element besides a one-request flash
/// message; the live region around it carries no `aria-live`, so a screen reader hears this line when its words
/// change, not the whole region at every update.
///
/// `data-state` names the state the line reports (a deployment's status; on the summary, each active
/// deployment's id and status). When a live update changes it, the script removes the flash message of the last
/// action ("Resumed deployment #2"), which spoke of the state before.
enum LiveStatus {
    static let elementID = "live-status"

    static func line(_ text: String, state: String) -> HTML {
        "<p id=\"\(elementID)\" class=\"live-status\" role=\"status\" data-state=\"\(state)\">\(text)</p>"
    }

    /// `Running: phase thunder: 8 done, 1 failed, 3 running, 4 pending.` The deployment's state, a waiting gate,
    /// and the counts of the phase it is in.
    static func deployment(_ detail: DeploymentDetail) -> HTML {
        line(deploymentText(detail), state: detail.deployment.status.rawValue + (waitingGate(detail) == nil ? "" : "+gate"))
    }

    static func deploymentText(_ detail: DeploymentDetail) -> String {
        let deployment = detail.deployment
        var state = Formatting.label(deployment.status)
        state = state.prefix(1).uppercased() + state.dropFirst()
        if let gate = waitingGate(detail) {
            state += ", waiting for approval after phase \(gate.name)"
        }
        let phase = detail.phases.first { $0.index == deployment.currentPhase } ?? detail.phases.last
        guard let phase else { return state + "." }
        return "\(state): phase \(phase.name): \(counts(phase.counts))."
    }

    /// `8 done, 1 failed, 3 running, 4 pending`: done always, the others when there are any.
    static func counts(_ counts: StatusCounts) -> String {
        let failed = counts.failed + counts.interrupted + counts.cancelled
        var parts = ["\(counts.succeeded + counts.skipped) done"]
        if failed > 0 { parts.append("\(failed) failed") }
        if counts.running > 0 { parts.append("\(counts.running) running") }
        if counts.pending > 0 { parts.append("\(counts.pending) pending") }
        return parts.joined(separator: ", ")
    }

    /// A manual gate after a phase, not yet approved.
    static func waitingGate(_ detail: DeploymentDetail) -> PhaseView? {
        detail.phases.first { $0.status == .gate && $0.gate == "manual" && $0.approvedBy == nil }
    }

    /// `2 deployments running, 1 waiting for approval.` over the active deployments shown (after the filters).
    static func summary(active: [DeploymentDetail]) -> HTML {
        let state = active.map { "\($0.deployment.id):\($0.deployment.status.rawValue)\(waitingGate($0) == nil ? "" : "+gate")" }
        return line(summaryText(active: active), state: state.joined(separator: " "))
    }

    static func summaryText(active: [DeploymentDetail]) -> String {
        guard !active.isEmpty else { return "No deployment in progress." }
        // Groups in a fixed order, named by what a person waits for: a manual gate waits for approval too.
        var groups: [(words: String, count: Int)] = []
        func add(_ words: String) {
            if let index = groups.firstIndex(where: { $0.words == words }) { groups[index].count += 1 } else { groups.append((words, 1)) }
        }
        let order: [DeploymentStatus] = [.running, .rollingBack, .halted, .paused, .pendingApproval, .queued]
        let sorted = active.sorted { (order.firstIndex(of: $0.deployment.status) ?? order.count) < (order.firstIndex(of: $1.deployment.status) ?? order.count) }
        for detail in sorted {
            let status = detail.deployment.status
            if status == .pendingApproval || waitingGate(detail) != nil {
                add("waiting for approval")
            } else {
                add(Formatting.label(status))
            }
        }
        let parts = groups.enumerated().map { index, group in
            index == 0 ? "\(group.count) \(group.count == 1 ? "deployment" : "deployments") \(group.words)" : "\(group.count) \(group.words)"
        }
        return parts.joined(separator: ", ") + "."
    }
}

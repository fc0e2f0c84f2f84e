import WavelineAPI
import WavelineCore

/// What can be done after a failure, said on the deployment page for every failed state: the sentence, the
/// buttons (in the actions section) for those who may take them, and for the others what would be possible and
/// who may do it (never a button that is refused).
extension DeploymentPage {
    /// One thing that can be done next.
    struct NextStep {
        var action: OperatorAction?
        var label: String
    }

    /// The next steps the deployment's state offers after a failure, with the sentence that introduces them;
    /// nil when nothing failed.
    var nextSteps: (summary: String, steps: [NextStep])? {
        let deployment = detail.deployment
        let failedNodes = detail.targets.filter { $0.status == .failed }.map(\.node)
        let interrupted = detail.targets.contains { $0.status == .interrupted }
        let rollback = NextStep(action: .rollback, label: "Roll back")
        let mayRollBack = hasRollbackSteps && detail.counts.succeeded > 0 && !detail.phases.contains { $0.kind == .rollback }
        switch deployment.status {
        case .finishedWithFailures:
            return ("It finished with \(counted(failedNodes.count, "node")) failed, within the failure budget. Read the failed nodes' logs, fix what they show, then retry them; or roll back what it changed.",
                    [NextStep(action: .retry, label: "Retry failed nodes (\(failedNodes.count))")] + (mayRollBack ? [rollback] : []))
        case .halted:
            return ("It halted: its failure budget is spent. Fix what the failed nodes' logs show, then retry or skip them and resume; or abort.",
                    [NextStep(action: .retry, label: "Retry failed nodes (\(failedNodes.count))"),
                     NextStep(action: .abort, label: "Abort")])
        case .paused where interrupted:
            return ("A node was interrupted mid-step: check it, then retry or skip it before resuming.", [NextStep(action: .retry, label: "Retry interrupted nodes")])
        case .failed:
            let rolledBack = detail.phases.contains { $0.kind == .rollback }
            let why = rolledBack
                ? "Its rollback failed on some nodes: read their logs and repair them by hand."
                : "It could not run: \(deployment.statusReason ?? "see its events"). Fix that, then start a new deployment."
            return (why, [])
        default:
            return nil
        }
    }

    /// Who may take `action` here, in words: the least role of the permission table, for this place.
    func whoMay(_ action: OperatorAction) -> String {
        let deployment = detail.deployment
        let permission = action.permission(deploymentStatus: deployment.status)
        let role = Permissions.table.first { $0.action == permission }?.minimumRole ?? .admin
        return "people with the \(role) role (or above) for \(deployment.products.joined(separator: ", ")) in \(deployment.environments.joined(separator: ", "))"
    }

    /// The sentence, then what the viewer may not do themselves and who may; the buttons for what they may do
    /// are the actions section's, just below.
    func nextStepSection(viewer: Viewer) -> HTML {
        guard let (summary, steps) = nextSteps else { return .empty }
        let others: [HTML] = steps.compactMap { step in
            guard let action = step.action, !may(action, viewer) else { return nil }
            return "<li>\(step.label): \(whoMay(action)) may do it.</li>"
        }
        return """
            <section class="next-step" id="next-step" aria-labelledby="next-step-heading">
            <h2 id="next-step-heading">What next</h2>
            <p>\(summary)</p>
            \(others.isEmpty ? HTML.empty : "<p class=\"hint\">Not yours to do here:</p><ul class=\"hint\">\(others)</ul>")
            </section>
            """
    }
}

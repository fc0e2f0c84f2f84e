import WavelineAPI
import WavelineCore

/// The step between pressing Abort or Roll back and the server acting: what will happen, on which deployment, a
/// reason to record, a "Yes, …" button and a way back. A form of such an action without `confirmed=yes` gets this
/// page and changes nothing, so a destructive action needs two deliberate submits without JavaScript too (with
/// it, the page's dialog asks instead and sends `confirmed=yes`).
struct ActionConfirmationPage {
    /// The form field that says the person has confirmed.
    static let confirmedField = "confirmed"

    var action: OperatorAction
    var detail: DeploymentDetail
    var nodes: [String]
    var reason: String?

    /// Whether an action from a page form is carried out only once confirmed.
    static func asks(_ action: OperatorAction) -> Bool { action == .abort || action == .rollback }

    /// For a caller who may take the action on the deployment as it stands (404 or 403 otherwise).
    static func load(
        reads: ReadSide, actions: DeploymentActions, action: OperatorAction, id: Int64, nodes: [String], reason: String?,
        context: WavelineRequestContext
    ) async throws -> ActionConfirmationPage {
        let detail = try await reads.deploymentDetail.detail(id, context: context)
        try await actions.authorize(action, on: id, context: context)
        return ActionConfirmationPage(action: action, detail: detail, nodes: nodes, reason: reason)
    }

    var id: Int64 { detail.deployment.id }

    /// `abort deployment #4`, as the button and title say it.
    var what: String {
        switch action {
        case .rollback: return "roll back deployment #\(id)"
        default: return "\(action.rawValue) deployment #\(id)"
        }
    }

    /// What the action does to this deployment, in a sentence.
    var consequence: String {
        let deployment = detail.deployment
        switch action {
        case .abort:
            return "Running steps are stopped now and no further node starts; the nodes already done stay as they are. The deployment ends as cancelled."
        case .rollback:
            let completed = detail.counts.succeeded
            return "The rollback steps of \(deployment.operation) run on the \(completed) \(completed == 1 ? "node" : "nodes") it completed, phase by phase; the deployment ends as rolled back."
        default:
            return ""
        }
    }

    func render(viewer: Viewer) -> HTML {
        let deployment = detail.deployment
        let title = what.prefix(1).uppercased() + what.dropFirst()
        let nodeFields: [HTML] = nodes.map { "<input type=\"hidden\" name=\"node\" value=\"\($0)\">" }
        return Layout.page(title: "\(title)?", viewer: viewer, current: "", body: """
            <p class="crumbs"><a href="/">Deployments</a> / <a href="/deployments/\(id)">#\(id)</a></p>
            <h1>\(title)?</h1>
            <section class="confirmation" aria-labelledby="confirmation-what">
            <p id="confirmation-what">Deployment <a href="/deployments/\(id)">#\(id) \(deployment.operation)</a> on \(deployment.environments.joined(separator: ", ")), requested by <strong>\(deployment.requestedBy)</strong> (“\(deployment.reason)”). Now: \(LiveStatus.deploymentText(detail))</p>
            <p>\(consequence)</p>
            <form class="action" method="post" action="/deployments/\(id)/actions/\(action.rawValue)">\
            \(Forms.protectionFields(viewer))\(nodeFields)\
            <input type="hidden" name="\(Self.confirmedField)" value="yes">
            <p><label for="confirm-reason">Reason (recorded in the audit trail)</label><br>
            <input id="confirm-reason" name="reason" type="text" value="\(reason)" size="40"></p>
            <div class="action-row"><button type="submit" class="button danger" id="confirm-action">Yes, \(what)</button>
            <a href="\(viewer.location)" id="cancel-action">Cancel</a></div>
            </form>
            </section>
            """)
    }
}

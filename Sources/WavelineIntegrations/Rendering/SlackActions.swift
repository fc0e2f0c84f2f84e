import WavelineAPI
import WavelineCore

/// The buttons on Waveline's Slack messages, and the contract with the interactions endpoint
/// (`POST /slack/interactions` in WavelineServer), which parses exactly this:
///
/// - every button is in an `actions` block whose `block_id` starts with `waveline_actions:`;
/// - `action_id` is one of `waveline_approve`, `waveline_pause`, `waveline_resume`, `waveline_abort`,
///   `waveline_open`;
/// - `value` is the deployment's id in decimal (`"412"`), nothing else;
/// - `waveline_open` is a link button (`url` = the deployment's page): Slack still sends a `block_actions`
///   payload for it, which the endpoint acknowledges and ignores;
/// - `waveline_abort` carries a `confirm` dialog; the others act at once (the server checks permissions, four-eyes
///   and the deployment's state as for the web UI, whatever buttons a message still shows).
public enum SlackAction: String, Sendable, Hashable, CaseIterable {
    case approve = "waveline_approve"
    case pause = "waveline_pause"
    case resume = "waveline_resume"
    case abort = "waveline_abort"
    case open = "waveline_open"

    /// The `block_id` prefix of Waveline's actions blocks.
    public static let blockIDPrefix = "waveline_actions:"

    /// The operator action a button asks for; nil for Open.
    public var operatorAction: OperatorAction? {
        switch self {
        case .approve: return .approve
        case .pause: return .pause
        case .resume: return .resume
        case .abort: return .abort
        case .open: return nil
        }
    }

    /// What a pressed button asks, from the `action_id` and `value` of a `block_actions` payload's action; nil
    /// when it is not one of Waveline's buttons or the value is not a deployment id.
    public static func parse(actionID: String, value: String?) -> (action: SlackAction, deployment: Int64)? {
        guard let action = SlackAction(rawValue: actionID), let value, let id = Int64(value), id > 0,
              String(id) == value else { return nil }
        return (action, id)
    }

    /// The buttons that fit the deployment's state: Approve while it waits for approval (of the deployment or of a
    /// manual gate), Pause while it runs, Resume while paused or halted, Abort until it is over, Open always.
    public static func available(for detail: DeploymentDetail) -> [SlackAction] {
        let status = detail.deployment.status
        var actions: [SlackAction] = []
        let gateWaiting = detail.phases.contains { $0.status == .gate && $0.gate == "manual" && $0.approvedBy == nil }
        if status == .pendingApproval || (gateWaiting && !status.isFinal) { actions.append(.approve) }
        if status == .running { actions.append(.pause) }
        if status == .paused || status == .halted { actions.append(.resume) }
        if !status.isFinal && status != .rollingBack { actions.append(.abort) }
        actions.append(.open)
        return actions
    }

    var label: String {
        switch self {
        case .approve: return "Approve"
        case .pause: return "Pause"
        case .resume: return "Resume"
        case .abort: return "Abort"
        case .open: return "Open"
        }
    }

    /// The button's Block Kit element.
    func button(deployment id: Int64, context: RenderingContext) -> JSONValue {
        var button: [String: JSONValue] = [
            "type": "button",
            "action_id": .string(rawValue),
            "value": .string(String(id)),
            "text": ["type": "plain_text", "text": .string(label)],
        ]
        switch self {
        case .approve: button["style"] = "primary"
        case .abort:
            button["style"] = "danger"
            button["confirm"] = [
                "title": ["type": "plain_text", "text": .string("Abort deployment #\(id)?")],
                "text": ["type": "mrkdwn", "text": "Running steps are stopped; no new node starts."],
                "confirm": ["type": "plain_text", "text": "Abort"],
                "deny": ["type": "plain_text", "text": "Cancel"],
            ]
        case .open: button["url"] = .string(context.deploymentURL(id))
        case .pause, .resume: break
        }
        return .object(button)
    }

    /// An actions block; the `block_id` changes with the state so that an updated message gets a new one, as Slack
    /// asks.
    static func block(_ actions: [SlackAction], detail: DeploymentDetail, context: RenderingContext) -> JSONValue {
        let deployment = detail.deployment
        let done = detail.counts.succeeded + detail.counts.failed + detail.counts.skipped + detail.counts.cancelled
        let blockID = "\(blockIDPrefix)\(deployment.id):\(deployment.status.rawValue):\(deployment.currentPhase):\(done)"
        return ["type": "actions", "block_id": .string(blockID),
                "elements": .array(actions.map { $0.button(deployment: deployment.id, context: context) })]
    }
}

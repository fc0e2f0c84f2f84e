import WavelineAPI
import WavelineCore

/// Where one outbox message goes, and why a destination gets nothing (a pure function of the message, the
/// deployment and the settings).
public enum DeliveryPlan {
    public struct Step: Sendable, Hashable {
        public var destination: DeliveryDestination
        /// Set when nothing is to be sent there: the reason shown on the Notifications panel.
        public var skip: String?
    }

    /// The Jira step a message is: the start (the first phase to start), the end (the outcome), or none.
    public enum JiraMoment: Sendable, Hashable { case start, end }

    public static func jiraMoment(_ message: OutboxMessage, isFirstStart: Bool) -> JiraMoment? {
        switch message.kind {
        case .phaseStarted: return isFirstStart ? .start : nil
        case .outcome: return .end
        default: return nil
        }
    }

    public static func steps(for message: OutboxMessage, deployment: DeploymentSummary, settings: IntegrationsSettings,
                             isFirstStart: Bool) -> [Step] {
        var steps = [Step(destination: .slack, skip: settings.slack == nil ? "Slack is not configured" : nil)]
        guard settings.jira != nil, let moment = jiraMoment(message, isFirstStart: isFirstStart) else { return steps }
        // Only a ticket Waveline found in Jira when the deployment was requested (an environment with a ticket
        // policy): free text in the ticket field of another environment is nobody's Jira issue.
        let noTicket: String? = switch (deployment.ticket.flatMap { $0.isEmpty ? nil : $0 }, deployment.jiraTicket) {
        case (nil, _): "the deployment has no ticket"
        case (.some, nil): "the ticket was not checked in Jira (no ticket policy for its environments)"
        case (.some, .some): nil
        }
        steps.append(Step(destination: .jiraComment, skip: noTicket))
        steps.append(Step(destination: .jiraLink, skip: noTicket))
        let transition = transitionName(moment, deployment: deployment, settings: settings)
        steps.append(Step(destination: .jiraTransition, skip: noTicket ?? (transition == nil ? "no transition configured" : nil)))
        return steps
    }

    /// The transition the ticket policy of the deployment's environments names for this moment: the first
    /// environment (in the deployment's order) whose policy names one.
    public static func transitionName(_ moment: JiraMoment, deployment: DeploymentSummary, settings: IntegrationsSettings) -> String? {
        for environment in deployment.environments {
            let transitions = settings.ticketPolicy(for: environment).transitions
            let name: String?
            switch moment {
            case .start: name = transitions.onStart
            case .end: name = NotificationRules.isSuccess(deployment.status) ? transitions.onSuccess : transitions.onFailure
            }
            if let name { return name }
        }
        return nil
    }
}

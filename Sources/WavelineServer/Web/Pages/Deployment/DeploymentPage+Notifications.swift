import WavelineAPI

/// The Notifications panel: each message Waveline sends Slack and Jira about the deployment, at each destination,
/// with how far it got (sent, waiting to retry and why, failed and why, skipped and why), its tries, the
/// service's reference to it and when it last changed. Shown when the server runs with integrations, or when the
/// deployment has outbox rows from a time it did.
///
/// It says what each message *is* (the thread's parent, a reply about a failure, the ticket's end comment…), not
/// its text: the text was rendered from the deployment as it was when it was sent and is not stored; rendering it
/// again now would show today's state as if it had been sent then. The ticket link (and in the demo, its
/// stand-ins' pages) show the real thing.
extension DeploymentPage {
    func notificationsSection() -> HTML {
        guard let list = notifications else { return .empty }
        let thread: HTML = list.thread.map { thread -> HTML in
            "<p class=\"notification-thread\" data-key=\"notification-thread\">Slack thread in <strong>\(thread.channel)</strong>: parent message \(threadWords(thread))\(thread.lastRenderedAt.map { time -> HTML in ", last posted or updated <time>\(Formatting.timestamp(time))</time>" })\(thread.parentTs.map { ts -> HTML in " (<span class=\"reference\">ts \(ts)</span>)" }).</p>"
        } ?? .empty
        let body: HTML
        if list.notifications.isEmpty {
            body = "<p class=\"hint\" data-key=\"notifications-none\">Nothing was sent about this deployment: it was requested before Slack and Jira were configured.</p>"
        } else {
            let rows: [HTML] = list.notifications.map(notificationRow)
            body = Components.scrollBox(label: "Notifications of deployment #\(id)", """
                <table class="notifications" data-key="notifications-table">
                <thead><tr><th scope="col">To</th><th scope="col">Message</th><th scope="col">State</th><th scope="col">Tries</th><th scope="col">Reference</th><th scope="col">Changed</th></tr></thead>
                <tbody>\(rows)</tbody>
                </table>
                """)
        }
        // A new line first: the section follows the nodes grid on the same source line (no blank line without it).
        return """

            <section class="notifications" aria-labelledby="notifications-heading" data-key="notifications">
            <h2 id="notifications-heading">Notifications</h2>
            <p class="hint">What Waveline sends Slack and Jira about this deployment, and how far each message got.</p>
            \(thread)
            \(body)
            </section>
            """
    }

    func notificationRow(_ item: NotificationView) -> HTML {
        let reference: HTML
        if let external = item.externalReference, !external.isEmpty {
            reference = item.destination == "slack" ? "<span class=\"reference\">\(external)</span>" : ticketReference(external)
        } else {
            reference = "<span class=\"muted\">none</span>"
        }
        let changed = item.updatedAt ?? item.createdAt
        return """
            <tr data-key="notification-\(item.messageId)-\(item.destination)">\
            <td>\(Self.destinationLabel(item.destination))</td>\
            <td>\(Self.messageLabel(item))</td>\
            <td>\(deliveryBadge(item))</td>\
            <td>\(item.attempts)</td>\
            <td>\(reference)</td>\
            <td><time>\(Formatting.timestamp(changed))</time></td>\
            </tr>
            """
    }

    /// A Jira reference (comment id, link, transition) with a link to the ticket when Jira checked it.
    func ticketReference(_ external: String) -> HTML {
        guard let jira = detail.deployment.jiraTicket else { return "<span class=\"reference\">\(external)</span>" }
        let lower = jira.url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return "<span class=\"reference\">\(jira.key) \(external)</span>" }
        return "<a href=\"\(jira.url)\" rel=\"noopener noreferrer\">\(jira.key)</a> <span class=\"reference\">\(external)</span>"
    }

    static func destinationLabel(_ destination: String) -> String {
        switch destination {
        case "slack": return "Slack"
        case "jira_comment": return "Jira comment"
        case "jira_link": return "Jira link"
        case "jira_transition": return "Jira transition"
        default: return destination
        }
    }

    /// What the message is, at its destination.
    static func messageLabel(_ item: NotificationView) -> String {
        let event = " (event \(item.eventId))"
        switch item.destination {
        case "slack":
            switch item.kind {
            case "requested": return "thread parent: requested" + event
            case "phase_started": return "parent update: a phase started" + event
            case "progress": return "parent update: the state changed" + event
            case "approval_needed": return "reply: approval needed" + event
            case "gate_waiting": return "reply: a gate waits" + event
            case "failure": return "reply: a failure point, also in the channel" + event
            case "operator_action": return "reply: a person acted" + event
            case "outcome": return "reply: the outcome" + event
            default: return item.kind + event
            }
        case "jira_comment":
            return (item.kind == "outcome" ? "comment: the outcome" : "comment: started, with a link") + event
        case "jira_link":
            return (item.kind == "outcome" ? "remote link to this page, resolved" : "remote link to this page") + event
        case "jira_transition":
            return (item.kind == "outcome" ? "transition at the end" : "transition at the start") + event
        default:
            return item.kind + event
        }
    }

    /// The state in words, with why when it is not simply sent.
    func deliveryWords(_ item: NotificationView) -> String {
        let error = item.lastError.flatMap { $0.isEmpty ? nil : $0 }
        switch item.state {
        case "sent":
            return item.attempts > 1 ? "sent (after \(item.attempts) tries)" : "sent"
        case "sending":
            return "sending"
        case "failed":
            return "failed: " + (error ?? "no reason recorded")
        case "skipped":
            return "skipped: " + (error ?? "nothing to send")
        case "pending":
            if let next = item.nextAttemptAt, next > now {
                let wait = "waiting to retry in \(Formatting.duration(next - now))"
                return error.map { "\(wait) (\($0))" } ?? wait
            }
            return error.map { "retrying now (\($0))" } ?? "waiting to be sent"
        default:
            return item.state + (error.map { ": \($0)" } ?? "")
        }
    }

    func deliveryBadge(_ item: NotificationView) -> HTML {
        let (state, symbol): (String, String) = switch item.state {
        case "sent": ("succeeded", "✓")
        case "failed": ("failed", "✗")
        case "sending": ("running", "◐")
        case "skipped": ("skipped", "↷")
        default: ("pending", "○")
        }
        return "<span class=\"delivery state-\(state)\"><span aria-hidden=\"true\">\(symbol)</span> \(deliveryWords(item))</span>"
    }

    func threadWords(_ thread: NotificationThreadView) -> String {
        let item = NotificationView(messageId: "parent", eventId: 0, destination: "slack", kind: "requested", state: thread.state,
                                    attempts: thread.attempts, lastError: thread.lastError, externalReference: thread.parentTs,
                                    createdAt: 0, updatedAt: nil, nextAttemptAt: nil)
        return deliveryWords(item)
    }
}

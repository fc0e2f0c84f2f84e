import WavelineAPI

extension Components {
    /// The deployment's ticket: its key, and when Jira checked it, a link to it with its status as Jira showed it
    /// then (and the key asked for when the ticket had moved, or that Waveline made it). Nil when it has none.
    static func ticket(_ deployment: DeploymentSummary) -> HTML? {
        guard let jira = deployment.jiraTicket else { return deployment.ticket.map { "\($0)" } }
        // Only a web address becomes a link; the URL is Waveline's own (integrations.yaml's Jira), escaped anyway.
        let lower = jira.url.lowercased()
        let key: HTML = lower.hasPrefix("https://") || lower.hasPrefix("http://")
            ? "<a class=\"ticket-link\" href=\"\(jira.url)\" rel=\"noopener noreferrer\">\(jira.key)</a>"
            : "\(jira.key)"
        let status: HTML = jira.status.map { "<span class=\"badge ticket-status\" title=\"Jira status when requested\">\($0)</span>" } ?? .empty
        let note: HTML
        if jira.createdByWaveline {
            note = " <span class=\"ticket-note\">(made by Waveline)</span>"
        } else if let asked = jira.requestedKey, asked != jira.key {
            note = " <span class=\"ticket-note\">(asked as \(asked); moved)</span>"
        } else {
            note = .empty
        }
        return "\(key) \(status)\(note)"
    }
}

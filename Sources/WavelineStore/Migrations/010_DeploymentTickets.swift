extension Migration {
    /// The Jira ticket a deployment was admitted with, as Jira answered when it was requested (`ticket` keeps the
    /// key Jira answered with, which differs from the one typed when the ticket had moved):
    ///   `ticket_issue_id`, `ticket_project`, `ticket_status` (NULL when Jira did not say), `ticket_url`,
    ///   `ticket_requested` (the key as typed; NULL when Waveline made the ticket), `ticket_checked_at`.
    /// All NULL for deployments no ticket policy applied to.
    static let m010DeploymentTickets = Migration(version: 10, name: "deployment tickets", statements: [
        "ALTER TABLE deployments ADD COLUMN ticket_issue_id TEXT",
        "ALTER TABLE deployments ADD COLUMN ticket_project TEXT",
        "ALTER TABLE deployments ADD COLUMN ticket_status TEXT",
        "ALTER TABLE deployments ADD COLUMN ticket_url TEXT",
        "ALTER TABLE deployments ADD COLUMN ticket_requested TEXT",
        "ALTER TABLE deployments ADD COLUMN ticket_checked_at DOUBLE PRECISION",
    ])
}

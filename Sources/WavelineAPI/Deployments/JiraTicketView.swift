import WavelineCore

/// The Jira ticket a deployment was admitted with, as Jira answered when it was requested (`jiraTicket` of a
/// deployment; absent when no ticket policy applied).
public struct JiraTicketView: Codable, Sendable, Hashable {
    /// The key Jira answered with; it differs from `requestedKey` when the ticket had moved.
    public var key: String
    public var issueId: String
    public var project: String
    /// Absent when Jira did not say (a ticket Waveline just made, whose read-back failed).
    public var status: String?
    /// Where people open it: `<Jira>/browse/<key>`.
    public var url: String
    /// The key as the requester gave it; absent when Waveline made the ticket for ad-hoc work.
    public var requestedKey: String?
    public var createdByWaveline: Bool
    public var checkedAt: Double

    public init(key: String, issueId: String, project: String, status: String?, url: String, requestedKey: String?,
                createdByWaveline: Bool, checkedAt: Double) {
        self.key = key
        self.issueId = issueId
        self.project = project
        self.status = status
        self.url = url
        self.requestedKey = requestedKey
        self.createdByWaveline = createdByWaveline
        self.checkedAt = checkedAt
    }

    public init(_ checked: CheckedTicket) {
        self.init(key: checked.facts.key, issueId: checked.facts.issueID, project: checked.facts.project,
                  status: checked.facts.status, url: checked.facts.url, requestedKey: checked.requestedKey,
                  createdByWaveline: checked.createdByWaveline, checkedAt: checked.checkedAt)
    }
}

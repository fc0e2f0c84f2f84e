import NIOCore
import WavelineCore

/// Jira as the server's `TicketDirectory`: the ticket check when a deployment is requested. Built on
/// `JiraClient` with a short timeout, since the request waits for it; one request per call, no retry (the
/// requester is told to ask again, with Jira's `Retry-After` when it gave one).
public struct JiraTicketDirectory: TicketDirectory {
    public let client: JiraClient
    /// Where people open a ticket (`JiraSettings.browseURL`).
    public let browseURL: String

    /// How long a request waits for Jira at most, per call (a made ticket is read back: two calls).
    public static let defaultTimeout = TimeAmount.seconds(5)

    public init(client: JiraClient, browseURL: String) {
        var base = browseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.client = client
        self.browseURL = base
    }

    public func url(of key: String) -> String { "\(browseURL)/browse/\(key)" }

    public func ticket(_ key: String) async throws(TicketDirectoryError) -> TicketFacts? {
        let issue: JiraIssue?
        do {
            issue = try await client.issue(key)
        } catch {
            throw Self.directoryError(error)
        }
        return issue.map(facts)
    }

    public func createTicket(_ draft: TicketDraft) async throws(TicketDirectoryError) -> TicketFacts {
        let made: (id: String, key: String)
        do {
            made = try await client.createIssue(JiraIssueDraft(
                projectKey: draft.project, issueType: draft.issueType, summary: draft.summary,
                description: JiraDocument(draft.description.map { .paragraph([.text($0)]) })))
        } catch {
            throw Self.directoryError(error)
        }
        // Its status, as the page shows it; the ticket is made either way, so a failed read-back leaves it unknown.
        if let read = try? await client.issue(made.key) { return facts(read) }
        return TicketFacts(key: made.key, issueID: made.id, project: draft.project, status: nil, url: url(of: made.key))
    }

    func facts(_ issue: JiraIssue) -> TicketFacts {
        TicketFacts(key: issue.key, issueID: issue.id, project: issue.projectKey, status: issue.statusName, url: url(of: issue.key))
    }

    static func directoryError(_ error: DeliveryError) -> TicketDirectoryError {
        switch error {
        case .rateLimited(let retryAfter, let detail): return TicketDirectoryError(.unavailable(retryAfter: retryAfter), detail)
        case .transient(let detail, let retryAfter): return TicketDirectoryError(.unavailable(retryAfter: retryAfter), detail)
        case .permanent(let detail): return TicketDirectoryError(.refused, detail)
        }
    }
}

import Foundation

/// How Waveline signs its Jira requests; built by `IntegrationSecrets` from the configured references.
public enum JiraAuthorization: Sendable, Hashable, CustomStringConvertible {
    /// Cloud: HTTP Basic with the account's e-mail and API token.
    case basic(email: String, apiToken: String)
    /// Data Center: `Authorization: Bearer <personal access token>`.
    case bearer(personalAccessToken: String)

    var headerValue: String {
        switch self {
        case .basic(let email, let token): return "Basic " + Data("\(email):\(token)".utf8).base64EncodedString()
        case .bearer(let token): return "Bearer \(token)"
        }
    }

    /// The secret part, for the masker.
    public var secret: String {
        switch self {
        case .basic(_, let token), .bearer(let token): return token
        }
    }

    /// Never shows the token.
    public var description: String {
        switch self {
        case .basic(let email, _): return "basic(\(email), token hidden)"
        case .bearer: return "bearer(token hidden)"
        }
    }
}

/// A Jira issue as Waveline keeps it. `key` is the key Jira answered with, which may differ from the one asked
/// for (a moved issue): store this one.
public struct JiraIssue: Sendable, Hashable, Codable {
    public var id: String
    public var key: String
    public var projectKey: String
    public var statusName: String
    /// `new`, `indeterminate` or `done` (Jira's status categories), when Jira says.
    public var statusCategory: String?
    public var summary: String?

    public init(id: String, key: String, projectKey: String, statusName: String, statusCategory: String? = nil, summary: String? = nil) {
        self.id = id
        self.key = key
        self.projectKey = projectKey
        self.statusName = statusName
        self.statusCategory = statusCategory
        self.summary = summary
    }
}

/// A comment as read back: its id and its text (ADF flattened to text on Cloud), to find Waveline's marker in.
public struct JiraComment: Sendable, Hashable {
    public var id: String
    public var text: String

    public init(id: String, text: String) {
        self.id = id
        self.text = text
    }
}

/// A transition the issue's workflow offers from its current status.
public struct JiraTransition: Sendable, Hashable {
    public var id: String
    public var name: String
    /// The status it leads to.
    public var toStatus: String?

    public init(id: String, name: String, toStatus: String?) {
        self.id = id
        self.name = name
        self.toStatus = toStatus
    }
}

/// A link from the issue to a Waveline page. `globalId` makes it idempotent: Jira updates the link with the same
/// globalId instead of adding a second one (at most 255 characters).
public struct JiraRemoteLink: Sendable, Hashable {
    public var globalID: String
    public var url: String
    public var title: String
    public var summary: String?
    /// Shown as done (struck through) in Jira when true.
    public var resolved: Bool?

    public init(globalID: String, url: String, title: String, summary: String? = nil, resolved: Bool? = nil) {
        self.globalID = globalID
        self.url = url
        self.title = title
        self.summary = summary
        self.resolved = resolved
    }

    /// `system=waveline&id=<deployment page URL>`: stable per deployment and per Waveline installation.
    public static func globalID(deploymentURL: String) -> String {
        String("system=waveline&id=\(deploymentURL)".prefix(255))
    }
}

/// An issue Waveline makes for ad-hoc work.
public struct JiraIssueDraft: Sendable, Hashable {
    public var projectKey: String
    public var issueType: String
    public var summary: String
    public var description: JiraDocument

    public init(projectKey: String, issueType: String, summary: String, description: JiraDocument) {
        self.projectKey = projectKey
        self.issueType = issueType
        self.summary = summary
        self.description = description
    }
}

/// What `integrations.yaml` says (`waveline serve --integrations FILE`): where Waveline tells Slack and Jira about
/// deployments, with which credentials, and which tickets a deployment of each environment needs.
///
/// Credentials are secret references (`env:NAME`, `file:/path`), never values: the file can be committed, and
/// the values are read by the server when it starts (WavelineIntegrations' `IntegrationSecrets`). The reader is
/// `IntegrationsLoader`; every problem in the file is reported at once, located like inventory errors.
public struct IntegrationsSettings: Sendable, Hashable {
    /// The address people open Waveline's web UI at (`https://waveline.example.com`), without a trailing slash:
    /// messages and comments link to `<publicURL>/deployments/<id>`.
    public var publicURL: String
    public var slack: SlackSettings?
    public var jira: JiraSettings?
    /// The ticket policy of each environment that has one, by environment name.
    public var ticketPolicies: [String: TicketPolicy]

    public init(publicURL: String, slack: SlackSettings? = nil, jira: JiraSettings? = nil,
                ticketPolicies: [String: TicketPolicy] = [:]) {
        self.publicURL = publicURL
        self.slack = slack
        self.jira = jira
        self.ticketPolicies = ticketPolicies
    }

    /// The policy of `environment`; an environment without one needs no ticket and gets no transitions.
    public func ticketPolicy(for environment: String) -> TicketPolicy {
        ticketPolicies[environment] ?? TicketPolicy()
    }

    /// The link to a deployment's page.
    public func deploymentURL(_ id: Int64) -> String { "\(publicURL)/deployments/\(id)" }
}

/// The Slack app Waveline posts as, and where each deployment's thread goes.
public struct SlackSettings: Sendable, Hashable {
    /// The bot token (`xoxb-…`), sent as `Authorization: Bearer`.
    public var botToken: SecretReference
    /// The app's signing secret: the key of the HMAC on every request Slack sends (`/slack/interactions`).
    public var signingSecret: SecretReference
    /// The Web API's base address; `https://slack.com/api` unless a test or the demo points it elsewhere.
    public var apiURL: String
    /// The parent message of a thread is updated at most once per interval (chat.update is Tier 3, ~50 a
    /// minute per workspace); at least one second.
    public var updateInterval: Duration
    /// Where a deployment no route matches goes: a channel ID (`C0123ABCD`, safer) or a name (`#deploys`).
    public var defaultChannel: String
    /// Routes in file order; the most specific that matches wins (see `channel(environments:products:)`).
    public var routes: [SlackChannelRoute]

    public static let defaultAPIURL = "https://slack.com/api"
    public static let defaultUpdateInterval = Duration.seconds(5)

    public init(botToken: SecretReference, signingSecret: SecretReference, apiURL: String = SlackSettings.defaultAPIURL,
                updateInterval: Duration = SlackSettings.defaultUpdateInterval, defaultChannel: String,
                routes: [SlackChannelRoute] = []) {
        self.botToken = botToken
        self.signingSecret = signingSecret
        self.apiURL = apiURL
        self.updateInterval = updateInterval
        self.defaultChannel = defaultChannel
        self.routes = routes
    }

    /// The one channel of a deployment's thread: of the routes matching one of its (environment, product)
    /// pairs, one naming both wins over one naming the environment only, which wins over one naming the product
    /// only; among equals, the first in the file. No match: the default channel.
    public func channel(environments: [String], products: [String]) -> String {
        var best: (rank: Int, channel: String)?
        for route in routes {
            let environmentMatches = route.environment.map(environments.contains) ?? true
            let productMatches = route.product.map(products.contains) ?? true
            guard environmentMatches, productMatches else { continue }
            let rank = (route.environment == nil ? 0 : 2) + (route.product == nil ? 0 : 1)
            if rank > (best?.rank ?? -1) { best = (rank, route.channel) }
        }
        return best?.channel ?? defaultChannel
    }
}

/// One line of Slack routing: deployments of this environment and/or product go to `channel`.
public struct SlackChannelRoute: Sendable, Hashable {
    public var environment: String?
    public var product: String?
    public var channel: String

    public init(environment: String?, product: String?, channel: String) {
        self.environment = environment
        self.product = product
        self.channel = channel
    }
}

/// The Jira site Waveline checks tickets on and comments to.
public struct JiraSettings: Sendable, Hashable {
    public enum Flavour: String, Sendable, Hashable, CaseIterable {
        /// Jira Cloud: REST v3, Atlassian Document Format bodies, Basic auth with an account's e-mail and API token.
        case cloud
        /// Jira Data Center / Server: REST v2, plain text bodies, a personal access token as Bearer.
        case dataCenter = "data_center"
    }

    public enum Credentials: Sendable, Hashable {
        /// HTTP Basic: the Atlassian account's e-mail (not a secret) and its API token.
        case cloud(email: String, apiToken: SecretReference)
        /// `Authorization: Bearer <personal access token>`.
        case dataCenter(personalAccessToken: SecretReference)
    }

    /// `https://example.atlassian.net`, or the API gateway form for scoped tokens
    /// (`https://api.atlassian.com/ex/jira/<cloudId>`); no trailing slash. Paths add `/rest/api/3|2/…`.
    public var baseURL: String
    /// Where people open a ticket: `<browseURL>/browse/<KEY>`; the base URL unless the file says otherwise
    /// (with the gateway form, the API and the site differ).
    public var browseURL: String
    public var credentials: Credentials

    public var flavour: Flavour {
        switch credentials {
        case .cloud: return .cloud
        case .dataCenter: return .dataCenter
        }
    }

    public init(baseURL: String, browseURL: String? = nil, credentials: Credentials) {
        self.baseURL = baseURL
        self.browseURL = browseURL ?? baseURL
        self.credentials = credentials
    }

    public func issueURL(_ key: String) -> String { "\(browseURL)/browse/\(key)" }
}

/// What a deployment of one environment needs from Jira, and what Waveline does to its ticket.
public struct TicketPolicy: Sendable, Hashable {
    /// A deployment without a ticket is refused (unless `create` says Waveline makes one).
    public var required: Bool
    /// Project keys a ticket may belong to; empty: any.
    public var projects: [String]
    /// Status names a ticket must be in when the deployment is requested (e.g. only approved change tickets
    /// for prod); empty: any. Compared without regard to case, as Jira shows names.
    public var statuses: [String]
    /// Transition names applied to the ticket when the deployment starts, succeeds, and fails; nil: none.
    public var transitions: Transitions
    /// When set, a deployment requested without a ticket gets one made by Waveline (ad-hoc work).
    public var create: TicketCreation?

    public struct Transitions: Sendable, Hashable {
        public var onStart: String?
        public var onSuccess: String?
        public var onFailure: String?

        public init(onStart: String? = nil, onSuccess: String? = nil, onFailure: String? = nil) {
            self.onStart = onStart
            self.onSuccess = onSuccess
            self.onFailure = onFailure
        }
    }

    public init(required: Bool = false, projects: [String] = [], statuses: [String] = [],
                transitions: Transitions = Transitions(), create: TicketCreation? = nil) {
        self.required = required
        self.projects = projects
        self.statuses = statuses
        self.transitions = transitions
        self.create = create
    }

    /// Whether a ticket in `project` with status `status` may carry a deployment; nil when it may, else why not.
    public func refusal(project: String, status: String) -> String? {
        if !projects.isEmpty, !projects.contains(project) {
            return "ticket is in project \(project); this environment accepts tickets of \(projects.joined(separator: ", "))"
        }
        if !statuses.isEmpty, !statuses.contains(where: { $0.lowercased() == status.lowercased() }) {
            return "ticket is in status '\(status)'; this environment needs one of: \(statuses.map { "'\($0)'" }.joined(separator: ", "))"
        }
        return nil
    }
}

/// The ticket Waveline makes for ad-hoc work: in which project, of which issue type.
public struct TicketCreation: Sendable, Hashable {
    public var project: String
    public var issueType: String

    public init(project: String, issueType: String) {
        self.project = project
        self.issueType = issueType
    }
}

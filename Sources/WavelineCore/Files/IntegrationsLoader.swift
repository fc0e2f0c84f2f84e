import Foundation

/// Reads `integrations.yaml` (Slack, Jira, ticket policies) into `IntegrationsSettings`, with the inventory's
/// machinery: every problem in the file at once, each with its file, line and column.
///
/// ```yaml
/// public_url: https://waveline.example.com
/// slack:
///   bot_token: env:WAVELINE_SLACK_BOT_TOKEN
///   signing_secret: file:/etc/waveline/slack-signing-secret
///   update_interval: 5s
///   channels:
///     default: C0DEPLOYS1
///     routes:
///       - {environment: prod, product: kafka, channel: C0KAFKAPRD}
///       - {environment: prod, channel: C0PRODDEP1}
/// jira:
///   base_url: https://example.atlassian.net
///   flavour: cloud                # or data_center (then personal_access_token instead of email + api_token)
///   email: deploy-bot@example.com
///   api_token: env:JIRA_API_TOKEN
/// tickets:
///   prod:
///     required: true
///     projects: [CHG]
///     statuses: [Approved]
///     transitions: {start: Start deployment, success: Deployed, failure: Deployment failed}
///   staging:
///     create: {project: OPS, issue_type: Task}
/// ```
public enum IntegrationsLoader {
    /// Reads the file at `path`. When `environments` is given (the inventory's), ticket policies and routes
    /// naming another environment are errors.
    ///
    /// - Throws: `DiagnosticsError` with every problem found, sorted by line and column.
    public static func load(path: String, environments: Set<String>? = nil) throws -> IntegrationsSettings {
        let collector = DiagnosticCollector()
        let settings = read(path: path, environments: environments, into: collector)
        try collector.throwIfAny()
        guard let settings else { throw DiagnosticsError([Diagnostic("the integrations file could not be read", at: nil)]) }
        return settings
    }

    /// Every problem in the file, sorted; empty when it is valid.
    public static func validate(path: String, environments: Set<String>? = nil) -> [Diagnostic] {
        let collector = DiagnosticCollector()
        _ = read(path: path, environments: environments, into: collector)
        return collector.sorted
    }

    static func read(path: String, environments: Set<String>?, into collector: DiagnosticCollector) -> IntegrationsSettings? {
        guard let root = YAMLFile.root(of: path, into: collector) else { return nil }
        return IntegrationsFileReader(environments: environments).read(root)
    }
}

struct IntegrationsFileReader {
    let environments: Set<String>?

    func read(_ root: YAMLValue) -> IntegrationsSettings? {
        guard let file = root.mapping("the integrations file", allowed: ["public_url", "slack", "jira", "tickets"]) else {
            return nil
        }
        let publicURL = url(file, "public_url", required: true)
        let slack = file["slack"].flatMap(slackSettings)
        let jira = file["jira"].flatMap(jiraSettings)
        var policies: [String: TicketPolicy] = [:]
        if let tickets = file["tickets"], let entries = tickets.entries("tickets") {
            for (environment, value) in entries {
                checkEnvironment(environment, collector: file.collector)
                if let policy = ticketPolicy(value, environment: environment.value) {
                    if jira == nil, file["jira"] == nil, policy != TicketPolicy() {
                        file.collector.error("the ticket policy of environment '\(environment.value)' needs Jira, but the file has no 'jira' section", at: environment.location)
                    }
                    policies[environment.value] = policy
                }
            }
        }
        if file["slack"] == nil, file["jira"] == nil {
            file.error("the integrations file configures neither 'slack' nor 'jira'")
        }
        guard let publicURL else { return nil }
        return IntegrationsSettings(publicURL: publicURL, slack: slack, jira: jira, ticketPolicies: policies)
    }

    // MARK: Slack

    func slackSettings(_ value: YAMLValue) -> SlackSettings? {
        let keys = ["bot_token", "signing_secret", "api_url", "update_interval", "channels"]
        guard let m = value.mapping("the slack section", allowed: keys) else { return nil }
        let botToken = secretReference(m, "bot_token")
        let signingSecret = secretReference(m, "signing_secret")
        let apiURL = url(m, "api_url", required: false)
        var updateInterval = SlackSettings.defaultUpdateInterval
        if let interval = m.parsed("update_interval", ValueSyntax.duration) {
            if interval.value < .seconds(1) {
                m.collector.error("'update_interval' of the slack section must be at least 1s (Slack allows about 50 updates a minute), got '\(interval.value)'", at: interval.location)
            } else {
                updateInterval = interval.value
            }
        }
        var defaultChannel: String?
        var routes: [SlackChannelRoute] = []
        if let channelsValue = m.required("channels"),
           let channels = channelsValue.mapping("'channels' of the slack section", allowed: ["default", "routes"]) {
            defaultChannel = channel(channels.string("default", required: true), collector: channels.collector)
            for item in channels.list("routes") ?? [] {
                if let route = self.route(item) { routes.append(route) }
            }
        }
        guard let botToken, let signingSecret, let defaultChannel else { return nil }
        return SlackSettings(botToken: botToken, signingSecret: signingSecret, apiURL: apiURL ?? SlackSettings.defaultAPIURL,
                             updateInterval: updateInterval, defaultChannel: defaultChannel, routes: routes)
    }

    func route(_ value: YAMLValue) -> SlackChannelRoute? {
        guard let m = value.mapping("a route of 'channels'", allowed: ["environment", "product", "channel"]) else { return nil }
        let environment = m.string("environment", required: false)
        let product = m.string("product", required: false)
        let channel = channel(m.string("channel", required: true), collector: m.collector)
        if let environment { checkEnvironment(environment, collector: m.collector) }
        if environment == nil, product == nil {
            m.error("a route of 'channels' names neither an 'environment' nor a 'product'; deployments no route matches go to 'default'")
            return nil
        }
        guard let channel else { return nil }
        return SlackChannelRoute(environment: environment?.value, product: product?.value, channel: channel)
    }

    /// A channel ID (`C0123ABCD`) or a name (`#deploys`); nothing with spaces in it.
    func channel(_ text: LocatedValue<String>?, collector: DiagnosticCollector) -> String? {
        guard let text else { return nil }
        let value = text.value
        if value.isEmpty || value.contains(where: \.isWhitespace) || value == "#" {
            collector.error("'\(value)' is not a Slack channel: write its ID (e.g. C0123ABCD, from the channel's details) or its name (e.g. #deploys)", at: text.location)
            return nil
        }
        return value
    }

    // MARK: Jira

    func jiraSettings(_ value: YAMLValue) -> JiraSettings? {
        let keys = ["base_url", "browse_url", "flavour", "email", "api_token", "personal_access_token"]
        guard let m = value.mapping("the jira section", allowed: keys) else { return nil }
        let baseURL = url(m, "base_url", required: true)
        let browseURL = url(m, "browse_url", required: false)
        let flavours = JiraSettings.Flavour.allCases.map(\.rawValue)
        let flavour = m.parsed("flavour", required: true) { text -> Result<JiraSettings.Flavour, SyntaxProblem> in
            JiraSettings.Flavour(rawValue: text).map { .success($0) }
                ?? .failure(SyntaxProblem(expected: "one of \(flavours.listedForMessage) (Cloud: REST v3, e-mail and API token; Data Center: REST v2, personal access token)"))
        }
        var credentials: JiraSettings.Credentials?
        switch flavour?.value {
        case .cloud:
            for key in ["personal_access_token"] where m[key] != nil {
                m.collector.error("'\(key)' is for flavour data_center; a cloud site takes 'email' and 'api_token'", at: m[key]?.location)
            }
            let email = m.string("email", required: true)
            if let email, !email.value.contains("@") {
                m.collector.error("'email' of the jira section must be the Atlassian account's e-mail address, got '\(email.value)'", at: email.location)
            }
            let token = secretReference(m, "api_token")
            if let email, let token { credentials = .cloud(email: email.value, apiToken: token) }
        case .dataCenter:
            for key in ["email", "api_token"] where m[key] != nil {
                m.collector.error("'\(key)' is for flavour cloud; a data_center site takes 'personal_access_token'", at: m[key]?.location)
            }
            if let token = secretReference(m, "personal_access_token") { credentials = .dataCenter(personalAccessToken: token) }
        case nil:
            break
        }
        guard let baseURL, let credentials else { return nil }
        return JiraSettings(baseURL: baseURL, browseURL: browseURL, credentials: credentials)
    }

    // MARK: Tickets

    func ticketPolicy(_ value: YAMLValue, environment: String) -> TicketPolicy? {
        let subject = "the ticket policy of environment '\(environment)'"
        let keys = ["required", "projects", "statuses", "transitions", "create"]
        guard let m = value.mapping(subject, allowed: keys) else { return nil }
        var policy = TicketPolicy()
        policy.required = m.bool("required") ?? false
        let projects = m.stringList("projects") ?? []
        for project in projects { checkProjectKey(project, collector: m.collector) }
        policy.projects = projects.map(\.value)
        let statuses = m.stringList("statuses") ?? []
        for status in statuses where status.value.trimmingCharacters(in: .whitespaces).isEmpty {
            m.collector.error("a status in 'statuses' of \(subject) is empty", at: status.location)
        }
        policy.statuses = statuses.map(\.value)
        if let transitionsValue = m["transitions"],
           let t = transitionsValue.mapping("'transitions' of \(subject)", allowed: ["start", "success", "failure"]) {
            policy.transitions = TicketPolicy.Transitions(
                onStart: t.string("start")?.value, onSuccess: t.string("success")?.value, onFailure: t.string("failure")?.value)
        }
        if let createValue = m["create"],
           let c = createValue.mapping("'create' of \(subject)", allowed: ["project", "issue_type"]) {
            let project = c.string("project", required: true)
            let issueType = c.string("issue_type", required: true)
            if let project {
                checkProjectKey(project, collector: c.collector)
                if !policy.projects.isEmpty, !policy.projects.contains(project.value) {
                    c.collector.error("Waveline would create tickets in project \(project.value), which \(subject) does not accept (projects: \(policy.projects.listedForMessage))", at: project.location)
                }
            }
            if let project, let issueType { policy.create = TicketCreation(project: project.value, issueType: issueType.value) }
        }
        return policy
    }

    /// Jira project keys: an uppercase letter, then uppercase letters, digits or underscores.
    func checkProjectKey(_ key: LocatedValue<String>, collector: DiagnosticCollector) {
        let scalars = Array(key.value.unicodeScalars)
        let valid = scalars.first.map { ("A"..."Z").contains($0) } == true
            && scalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        if !valid {
            collector.error("'\(key.value)' is not a Jira project key: an uppercase letter, then uppercase letters, digits or '_' (e.g. OPS)", at: key.location)
        }
    }

    func checkEnvironment(_ name: LocatedValue<String>, collector: DiagnosticCollector) {
        guard let environments, !environments.contains(name.value) else { return }
        var message = "no environment '\(name.value)' in the inventory; it has: \(environments.sorted().listedForMessage)"
        if let guess = closestMatch(to: name.value, among: environments.sorted()) { message += " (did you mean '\(guess)'?)" }
        collector.error(message, at: name.location)
    }

    // MARK: Values

    /// A secret reference; anything else is refused without repeating it, since it may be the secret itself.
    func secretReference(_ m: YAMLMapping, _ key: String) -> SecretReference? {
        guard let text = m.string(key, required: true) else { return nil }
        guard let reference = SecretReference(parsing: text.value) else {
            m.collector.error("'\(key)' of \(m.subject) must say where the server reads it: 'env:VARIABLE' or 'file:/path' (the value itself never goes in this file, so it is not repeated here)", at: text.location)
            return nil
        }
        return reference
    }

    /// An http(s) address with a host and no query or fragment, without its trailing slashes.
    func url(_ m: YAMLMapping, _ key: String, required: Bool) -> String? {
        guard let text = m.string(key, required: required) else { return nil }
        var value = text.value
        while value.hasSuffix("/") { value.removeLast() }
        let parsed = URLComponents(string: value)
        guard let parsed, let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parsed.host, !host.isEmpty, parsed.query == nil, parsed.fragment == nil,
              !value.contains(where: \.isWhitespace)
        else {
            m.collector.error("'\(key)' of \(m.subject) must be an http:// or https:// address with a host and no query, got '\(text.value)'", at: text.location)
            return nil
        }
        return value
    }
}

import WavelineCore

/// The credential values `IntegrationsSettings` refers to, read once when the server starts.
///
/// The values exist only here and in the `Authorization` headers the clients build; `allValues` is what the
/// caller hands to the engine's `SecretMasker` (`learn`) so that a value echoed in an error or a log line is
/// masked like every inventory secret.
public struct IntegrationSecrets: Sendable {
    public var slackBotToken: String?
    public var slackSigningSecret: String?
    public var jiraAuthorization: JiraAuthorization?

    public init(slackBotToken: String? = nil, slackSigningSecret: String? = nil, jiraAuthorization: JiraAuthorization? = nil) {
        self.slackBotToken = slackBotToken
        self.slackSigningSecret = slackSigningSecret
        self.jiraAuthorization = jiraAuthorization
    }

    /// Every secret value, for the masker.
    public var allValues: [String] {
        [slackBotToken, slackSigningSecret, jiraAuthorization?.secret].compactMap { $0 }
    }

    /// Reads every reference of `settings` through `lookup` (the engine's `SecretSource.value(of:)`: the server's
    /// environment, or a file on its machine).
    ///
    /// - Throws: `IntegrationSecretsError` naming every reference that has no value or too short a value, and
    ///   which setting wants it; never a value.
    public static func resolve(_ settings: IntegrationsSettings,
                               lookup: (SecretReference) -> String?) throws(IntegrationSecretsError) -> IntegrationSecrets {
        var problems: [String] = []
        func read(_ reference: SecretReference, for setting: String) -> String? {
            guard let value = lookup(reference) else {
                switch reference.source {
                case .env: problems.append("\(setting): the server's environment variable \(reference.name) is not set")
                case .file: problems.append("\(setting): cannot read the file \(reference.name) on the server")
                }
                return nil
            }
            guard value.count >= SecretReference.minimumLength else {
                problems.append("\(setting) (\(reference)) is shorter than \(SecretReference.minimumLength) characters: too short to mask in logs")
                return nil
            }
            return value
        }
        var secrets = IntegrationSecrets()
        if let slack = settings.slack {
            secrets.slackBotToken = read(slack.botToken, for: "slack.bot_token")
            secrets.slackSigningSecret = read(slack.signingSecret, for: "slack.signing_secret")
        }
        if let jira = settings.jira {
            switch jira.credentials {
            case .cloud(let email, let apiToken):
                secrets.jiraAuthorization = read(apiToken, for: "jira.api_token").map { .basic(email: email, apiToken: $0) }
            case .dataCenter(let token):
                secrets.jiraAuthorization = read(token, for: "jira.personal_access_token").map { .bearer(personalAccessToken: $0) }
            }
        }
        if !problems.isEmpty { throw IntegrationSecretsError(problems: problems) }
        return secrets
    }
}

/// Why the integrations' credentials could not be read: one line per setting, naming the reference only.
public struct IntegrationSecretsError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]

    public var description: String {
        "the integrations' credentials cannot be read:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

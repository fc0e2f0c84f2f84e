import Foundation
import Testing
import WavelineCore
import WavelineIntegrations

@Suite("integrations.yaml")
struct ConfigurationTests {
    static let valid = """
        public_url: https://waveline.example.com/
        slack:
          bot_token: env:WAVELINE_SLACK_BOT_TOKEN
          signing_secret: file:/etc/waveline/slack-signing-secret
          update_interval: 10s
          channels:
            default: C0DEPLOYS1
            routes:
              - {environment: prod, product: kafka, channel: C0KAFKAPRD}
              - {environment: prod, channel: "#prod-deploys"}
              - {product: kafka, channel: "#kafka"}
        jira:
          base_url: https://example.atlassian.net
          flavour: cloud
          email: deploy-bot@example.com
          api_token: env:JIRA_API_TOKEN
        tickets:
          prod:
            required: true
            projects: [CHG]
            statuses: [Approved]
            transitions: {start: Start deployment, success: Deployed, failure: Deployment failed}
          staging:
            create: {project: OPS, issue_type: Task}
        """

    /// Writes `text` to a fresh file; its path.
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("integrations-\(UUID().uuidString).yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The diagnostics of `text`, as `line:column: message`.
    static func problems(_ text: String, environments: Set<String>? = ["prod", "staging"]) throws -> [String] {
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return IntegrationsLoader.validate(path: path, environments: environments).map { diagnostic in
            #expect(diagnostic.location?.file == path)
            return "\(diagnostic.location?.line ?? 0):\(diagnostic.location?.column ?? 0): \(diagnostic.message)"
        }
    }

    @Test("a complete file reads into settings: routing, flavour, credentials as references, ticket policies")
    func validFile() throws {
        let path = try Self.file(Self.valid)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try IntegrationsLoader.load(path: path, environments: ["prod", "staging"])
        #expect(settings.publicURL == "https://waveline.example.com")
        let slack = try #require(settings.slack)
        #expect(slack.botToken == SecretReference(source: .env, name: "WAVELINE_SLACK_BOT_TOKEN"))
        #expect(slack.signingSecret == SecretReference(source: .file, name: "/etc/waveline/slack-signing-secret"))
        #expect(slack.updateInterval == .seconds(10))
        #expect(slack.apiURL == "https://slack.com/api")
        // The most specific route wins, whatever its place in the file; no match: the default.
        #expect(slack.channel(environments: ["prod"], products: ["kafka"]) == "C0KAFKAPRD")
        #expect(slack.channel(environments: ["prod"], products: ["web"]) == "#prod-deploys")
        #expect(slack.channel(environments: ["staging"], products: ["kafka"]) == "#kafka")
        #expect(slack.channel(environments: ["staging"], products: ["web"]) == "C0DEPLOYS1")
        let jira = try #require(settings.jira)
        #expect(jira.flavour == .cloud)
        #expect(jira.credentials == .cloud(email: "deploy-bot@example.com", apiToken: SecretReference(source: .env, name: "JIRA_API_TOKEN")))
        #expect(jira.issueURL("CHG-1") == "https://example.atlassian.net/browse/CHG-1")
        let prod = settings.ticketPolicy(for: "prod")
        #expect(prod.required && prod.projects == ["CHG"] && prod.statuses == ["Approved"])
        #expect(prod.transitions == TicketPolicy.Transitions(onStart: "Start deployment", onSuccess: "Deployed", onFailure: "Deployment failed"))
        #expect(prod.refusal(project: "CHG", status: "approved") == nil)
        #expect(prod.refusal(project: "OPS", status: "Approved")?.contains("accepts tickets of CHG") == true)
        #expect(prod.refusal(project: "CHG", status: "Open")?.contains("'Approved'") == true)
        #expect(settings.ticketPolicy(for: "staging").create == TicketCreation(project: "OPS", issueType: "Task"))
        #expect(settings.ticketPolicy(for: "dev") == TicketPolicy())
    }

    @Test("a Data Center site takes a personal access token")
    func dataCenter() throws {
        let path = try Self.file("""
            public_url: http://waveline.internal:8080
            jira:
              base_url: https://jira.internal
              flavour: data_center
              personal_access_token: file:/run/secrets/jira-pat
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try IntegrationsLoader.load(path: path)
        #expect(settings.jira?.credentials == .dataCenter(personalAccessToken: SecretReference(source: .file, name: "/run/secrets/jira-pat")))
        #expect(settings.slack == nil)
    }

    @Test("a literal credential is refused at its line and column, without repeating it")
    func literalSecret() throws {
        let problems = try Self.problems(Self.valid.replacingOccurrences(of: "env:WAVELINE_SLACK_BOT_TOKEN", with: "xoxb-1234-5678-abcdef"))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("3:14: 'bot_token' of the slack section must say where the server reads it") == true)
        #expect(problems.first?.contains("xoxb") == false)
    }

    @Test("each class of error is located: unknown key, missing key, bad URL, flavour, credentials of the other flavour, project key, interval, route, channel, environment")
    func errorClasses() throws {
        let text = """
            public_url: ftp://waveline
            slack:
              bot_tokn: env:A
              signing_secret: env:B
              update_interval: 200ms
              channels:
                default: "my channel"
                routes:
                  - {channel: C0X}
                  - {environment: prd, channel: C0Y}
            jira:
              base_url: https://example.atlassian.net
              flavour: server
            tickets:
              prod:
                projects: [chg]
                create: {project: OPS, issue_type: Task}
              stagin:
                required: yes
            """
        let problems = try Self.problems(text)
        let expected = [
            "1:13: 'public_url' of the integrations file must be an http:// or https:// address",
            "3:3: unknown key 'bot_tokn' in the slack section",
            "3:3: the slack section is missing 'bot_token'",
            "5:20: 'update_interval' of the slack section must be at least 1s",
            "7:14: 'my channel' is not a Slack channel",
            "9:9: a route of 'channels' names neither an 'environment' nor a 'product'",
            "10:23: no environment 'prd' in the inventory",
            "13:12: 'flavour' must be one of cloud, data_center",
            "16:16: 'chg' is not a Jira project key",
            "17:23: Waveline would create tickets in project OPS, which the ticket policy of environment 'prod' does not accept",
            "18:3: no environment 'stagin' in the inventory; it has: prod, staging (did you mean 'staging'?)",
            "19:15: 'required' must be true or false, got 'yes'",
        ]
        for fragment in expected {
            #expect(problems.contains { $0.hasPrefix(fragment.split(separator: ":").prefix(2).joined(separator: ":") + ":") && $0.contains(fragment.split(separator: ":", maxSplits: 2)[2].trimmingCharacters(in: .whitespaces)) },
                    "missing: \(fragment)\n got: \(problems.joined(separator: "\n"))")
        }
    }

    @Test("credentials of the other flavour, a missing e-mail, tickets without Jira, and a file with neither service")
    func crossChecks() throws {
        let cloudWithToken = try Self.problems("""
            public_url: https://w.example
            jira:
              base_url: https://jira.internal
              flavour: data_center
              email: bot@example.com
              personal_access_token: env:PAT
            """)
        #expect(cloudWithToken == ["5:10: 'email' is for flavour cloud; a data_center site takes 'personal_access_token'"])
        let missing = try Self.problems("""
            public_url: https://w.example
            jira: {base_url: "https://x.atlassian.net", flavour: cloud, api_token: "env:T"}
            """)
        #expect(missing.count == 1 && missing[0].contains("the jira section is missing 'email'"))
        let noJira = try Self.problems("""
            public_url: https://w.example
            slack: {bot_token: "env:A", signing_secret: "env:B", channels: {default: C0DEPLOYS1}}
            tickets:
              prod: {required: true}
            """)
        #expect(noJira == ["4:3: the ticket policy of environment 'prod' needs Jira, but the file has no 'jira' section"])
        let empty = try Self.problems("public_url: https://w.example\n")
        #expect(empty == ["1:1: the integrations file configures neither 'slack' nor 'jira'"])
    }

    @Test("unreadable files and YAML syntax errors are reported like the inventory's")
    func unreadable() throws {
        let syntax = try Self.problems("public_url: [unclosed\n")
        #expect(syntax.count == 1 && syntax[0].contains("YAML syntax error"))
        let missing = IntegrationsLoader.validate(path: "/nonexistent/integrations.yaml")
        #expect(missing.map(\.description) == ["error: cannot read '/nonexistent/integrations.yaml': no such file, or not readable"])
    }

    @Test("the credentials are read through the secret source; a missing one names the setting and the reference, never a value")
    func secrets() throws {
        let path = try Self.file(Self.valid)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try IntegrationsLoader.load(path: path)
        let values = ["env:WAVELINE_SLACK_BOT_TOKEN": "xoxb-secret-token", "file:/etc/waveline/slack-signing-secret": "signing-secret-value",
                      "env:JIRA_API_TOKEN": "jira-token-value"]
        let secrets = try IntegrationSecrets.resolve(settings) { values[$0.description] }
        #expect(secrets.slackBotToken == "xoxb-secret-token")
        #expect(secrets.jiraAuthorization == .basic(email: "deploy-bot@example.com", apiToken: "jira-token-value"))
        #expect(Set(secrets.allValues) == Set(values.values))
        #expect(!"\(secrets.jiraAuthorization.map { "\($0)" } ?? "")".contains("jira-token-value"))
        do {
            _ = try IntegrationSecrets.resolve(settings) { $0.source == .file ? "abc" : nil }
            Issue.record("expected an error")
        } catch {
            let text = error.description
            #expect(text.contains("slack.bot_token: the server's environment variable WAVELINE_SLACK_BOT_TOKEN is not set"))
            #expect(text.contains("slack.signing_secret (file:/etc/waveline/slack-signing-secret) is shorter than 4 characters"))
            #expect(text.contains("jira.api_token: the server's environment variable JIRA_API_TOKEN is not set"))
            #expect(!text.contains("abc"))
        }
    }
}

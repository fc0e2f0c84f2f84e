import ArgumentParser
import Foundation
import Hummingbird
import Logging
import WavelineCore
import WavelineEngine
import WavelineIntegrations
import WavelineServer

struct ServerFileOptions: ParsableArguments {
    @Option(name: .long, help: "Data folder: the SQLite database and local nodes' working directories.")
    var data: String = "./waveline-data"

    @Option(name: .long, parsing: .singleValue, help: "Inventory file or folder (repeatable).")
    var inventory: [String] = []

    @Option(name: .long, help: "Operation catalog folder.")
    var catalog: String = "./catalog"

    @Option(name: .long, help: "Folder of strategy files, added to the built-in strategies.")
    var strategies: String?

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Keep idle SSH master connections this many seconds after a deployment (0: close them when it ends).")
    var sshKeepMasters: Int = 0

    @Option(name: .long, help: "Hours an approval of a protected deployment stays valid while it waits to start (queued behind busy nodes).")
    var approvalValidity: Double = 24

    @Flag(name: .long, help: "Send the session cookie without `Secure`: only when browsers reach this server over plain HTTP on another host, behind a network path you trust.")
    var insecureCookies = false

    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this certificate (PEM, the chain after the server's own).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The private key (PEM) of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("trusted-proxy"), parsing: .singleValue, help: "A proxy (address or CIDR, repeatable) whose X-Forwarded-For is believed; nobody's otherwise.")
    var trustedProxies: [String] = []

    @Option(name: .long, help: ArgumentHelp("bcrypt cost of passwords (4–31).", visibility: .hidden))
    var passwordHashCost: UInt8 = 12

    func serverOptions() throws -> ServerOptions {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard sshKeepMasters >= 0 else { throw ValidationError("--ssh-keep-masters must be 0 or more seconds") }
        var options = ServerOptions(
            host: host, port: port, dataDirectory: absolute(data), inventoryPaths: inventory.map(absolute),
            catalogDirectory: absolute(catalog), strategiesDirectory: strategies.map(absolute), logLevel: level
        )
        options.sshKeepMastersSeconds = sshKeepMasters
        guard approvalValidity > 0 else { throw ValidationError("--approval-validity must be more than 0 hours") }
        options.approvalValiditySeconds = approvalValidity * 3600
        options.secureCookies = !insecureCookies
        guard (4...31).contains(passwordHashCost) else { throw ValidationError("--password-hash-cost must be 4 to 31") }
        options.passwordCost = passwordHashCost
        options.tlsCertificatePath = tlsCertificate.map(absolute)
        options.tlsKeyPath = tlsKey.map(absolute)
        guard (options.tlsCertificatePath == nil) == (options.tlsKeyPath == nil) else {
            throw ValidationError("HTTPS needs both --tls-cert and --tls-key")
        }
        let parsed = TrustedProxies.parse(trustedProxies)
        if let invalid = parsed.invalid {
            throw ValidationError("--trusted-proxy '\(invalid)' is not an address or a CIDR (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)")
        }
        options.trustedProxies = parsed.proxies
        let environment = ProcessInfo.processInfo.environment
        options.initialAdminPassword = environment["WAVELINE_INITIAL_ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        options.initialAdminToken = environment["WAVELINE_INITIAL_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return options
    }
}

func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the Waveline server (API and engine).")

    @OptionGroup var files: ServerFileOptions

    @Option(name: .long, help: "Slack and Jira settings (integrations.yaml): channels, credentials as secret references, ticket policies. Checked at start.")
    var integrations: String?

    func validate() throws {
        if files.inventory.isEmpty { throw ValidationError("name the inventory with --inventory PATH (a file or a folder)") }
    }

    /// Reads the integrations file and its credentials, so a mistake stops the server at start with the file's
    /// line and column (or the reference that has no value); the server then delivers notifications with them.
    static func checkIntegrations(path: String, inventoryPaths: [String]) throws -> IntegrationsOptions {
        // The inventory's environments, to catch a misspelt one; its own errors are reported by the server's start.
        let environments = (try? InventoryLoader.load(paths: inventoryPaths)).map { Set($0.environments.map(\.name)) }
        let settings: IntegrationsSettings
        do {
            settings = try IntegrationsLoader.load(path: path, environments: environments)
        } catch let error as DiagnosticsError {
            throw CLIError("the integrations file has errors:\n" + error.description)
        }
        let secrets: IntegrationSecrets
        do {
            secrets = try IntegrationSecrets.resolve(settings, lookup: ProcessSecretSource().value(of:))
        } catch {
            throw CLIError(error.description)
        }
        var configured: [String] = []
        if let slack = settings.slack { configured.append("Slack (default channel \(slack.defaultChannel), \(slack.routes.count) routes)") }
        if let jira = settings.jira { configured.append("Jira \(jira.flavour.rawValue) at \(jira.baseURL)") }
        print("Integrations: \(configured.joined(separator: ", ")); notifications are delivered")
        return IntegrationsOptions(settings: settings, secrets: secrets)
    }

    /// The ticket check of requested deployments, when the file gives ticket policies (it then has Jira).
    static func ticketGate(_ settings: IntegrationsSettings, _ secrets: IntegrationSecrets, time: any TimeSource) -> TicketGate? {
        guard !settings.ticketPolicies.isEmpty, let jira = settings.jira, let authorization = secrets.jiraAuthorization else { return nil }
        let client = JiraClient(baseURL: jira.baseURL, flavour: jira.flavour, authorization: authorization,
                                timeout: JiraTicketDirectory.defaultTimeout)
        print("Jira tickets are checked when deployments of \(settings.ticketPolicies.keys.sorted().joined(separator: ", ")) are requested")
        return TicketGate(policies: settings.ticketPolicies, directory: JiraTicketDirectory(client: client, browseURL: jira.browseURL), time: time)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func run() async throws {
        var configured = try files.serverOptions()
        if let integrations {
            let integrationOptions = try Self.checkIntegrations(path: absolute(integrations), inventoryPaths: configured.inventoryPaths)
            configured.integrations = integrationOptions
            configured.tickets = Self.ticketGate(integrationOptions.settings, integrationOptions.secrets, time: configured.time)
            // Slack's buttons: presses are verified with the signing secret the file names.
            if let signingSecret = integrationOptions.secrets.slackSigningSecret {
                configured.slackInteractions = SlackInteractions(signingSecret: signingSecret, time: configured.time)
                print("Slack buttons are answered at /slack/interactions")
            }
        }
        let options = configured
        let server: WavelineServer
        do {
            // Before the store is opened or a first password printed: a taken port is one sentence.
            try ListenAddressCheck.ensureAvailable(host: options.host, port: options.port)
            let scheme = options.tlsCertificatePath == nil ? "http" : "https"
            server = try await WavelineServerBuilder.build(options) { port in
                print("Waveline listening on \(scheme)://\(options.host):\(port)")
                if scheme == "http", !Self.isLoopback(options.host), options.secureCookies, files.trustedProxies.isEmpty {
                    // Browsers keep a Secure cookie over HTTPS only (and http://localhost): signing in would
                    // seem to work, then every page would ask to sign in again.
                    print("Warning: served over plain HTTP on \(options.host): browser sign-in needs HTTPS. Use --tls-cert and --tls-key, or a TLS proxy with --trusted-proxy (API tokens work either way).")
                }
                fflush(nil)
            }
        } catch let error as DiagnosticsError {
            throw CLIError("the workspace files have errors:\n" + error.description)
        } catch let error as APIError {
            throw CLIError(error.message)
        } catch let error as StartupError {
            throw CLIError(error.description)
        }
        if let first = server.bootstrap {
            // Printed once, on the first start: no default password exists anywhere.
            if let password = first.generatedPassword {
                print("First start: created user \(first.user) (admin on everything) with password: \(password)")
                print("It is shown only now. Sign in to the web UI with it, or run `waveline login --user \(first.user)`, then change it with `waveline users passwd \(first.user)`.")
            } else {
                print("First start: created user \(first.user) (admin on everything) with the password from WAVELINE_INITIAL_ADMIN_PASSWORD.")
            }
            if first.registeredToken { print("Registered WAVELINE_INITIAL_ADMIN_TOKEN as admin's API token 'bootstrap' (valid 30 days).") }
            fflush(nil)
        }
        do {
            try await server.run()
        } catch let error as StartupError {
            throw CLIError(error.description)
        }
    }
}

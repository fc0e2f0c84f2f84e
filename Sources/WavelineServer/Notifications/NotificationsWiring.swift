import Logging
import ServiceLifecycle
import WavelineAPI
import WavelineCore
import WavelineIntegrations
import WavelineStore

/// What `serve --integrations` gives the server: the settings and the credential values they refer to.
public struct IntegrationsOptions: Sendable {
    public var settings: IntegrationsSettings
    public var secrets: IntegrationSecrets
    public var tuning: NotificationDispatcher.Tuning

    public init(settings: IntegrationsSettings, secrets: IntegrationSecrets, tuning: NotificationDispatcher.Tuning = .init()) {
        self.settings = settings
        self.secrets = secrets
        self.tuning = tuning
    }

    func dispatcher(ledger: any NotificationLedger, time: any TimeSource, mask: @escaping @Sendable (String) -> String,
                    logger: Logger) -> NotificationDispatcher {
        let slack = settings.slack.flatMap { slack in
            secrets.slackBotToken.map { SlackClient(baseURL: slack.apiURL, botToken: $0) }
        }
        let jira = settings.jira.flatMap { jira in
            secrets.jiraAuthorization.map { JiraClient(baseURL: jira.baseURL, flavour: jira.flavour, authorization: $0) }
        }
        return NotificationDispatcher(ledger: ledger, settings: settings, slack: slack, jira: jira, time: time, mask: mask,
                                      tuning: tuning, logger: logger)
    }
}

/// The dispatcher's view of the store: the outbox and delivery state, and a deployment's detail as the API shows it.
/// Delivery state is written through the store's one write path, never with the engine's records.
public struct StoreNotificationLedger: NotificationLedger {
    let store: SQLDeploymentStore

    public init(store: SQLDeploymentStore) { self.store = store }

    public func openOutbox(limit: Int) async throws -> [OutboxEntry] { try await store.openOutbox(limit: limit) }
    public func outbox(of deploymentID: Int64) async throws -> [OutboxEntry] { try await store.outbox(of: deploymentID) }
    public func thread(of deploymentID: Int64) async throws -> NotificationThread? { try await store.notificationThread(of: deploymentID) }
    public func openThreads(limit: Int) async throws -> [NotificationThread] { try await store.openNotificationThreads(limit: limit) }

    public func save(deliveries: [NotificationDelivery], thread: NotificationThread?, settled: [OutboxMessage]) async throws {
        var changes = deliveries.map(StoreChange.saveDelivery)
        if let thread { changes.append(.saveNotificationThread(thread)) }
        changes += settled.map { .settleOutbox(eventID: $0.eventID, seq: $0.seq) }
        try await store.write(changes)
    }

    public func detail(of deploymentID: Int64) async throws -> DeploymentDetail? {
        guard try await store.deployment(deploymentID) != nil else { return nil }
        return try await DeploymentDetailRead(reader: store).detail(deploymentID)
    }
}

/// Runs the dispatcher for the life of the server; it stops first on shutdown (it is the last service).
struct NotificationService: Service {
    let dispatcher: NotificationDispatcher

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await dispatcher.run()
        }
    }
}

import Foundation
import Synchronization
import WavelineAPI
import WavelineCore
import WavelineIntegrations
import WavelineServer
import WavelineStore
import WavelineTesting

/// A real SQLite store with the outbox on, a manual time, and a dispatcher on it pointed at fakes: deployments are
/// written as the engine writes them (records and events in one write), and the test drives passes of the
/// dispatcher while moving the time.
final class DeliveryBench: Sendable {
    let factory: SQLiteStoreFactory
    let store: SQLDeploymentStore
    let time = ManualTime()
    let dispatcher: NotificationDispatcher
    /// Requests each fake had seen at the end of each pass, with the manual time of that pass: when each request
    /// was made, on the manual time (requests are made only inside a pass, and the time stands still during one).
    private let passLog = Mutex<[(time: Double, slack: Int, jira: Int)]>([])
    let slackRecorder: FakeRecorder?
    let jiraRecorder: FakeRecorder?

    static let channel = "C0DEPLOYS1"
    static let secretValue = "s3cr3t-value-for-masking"

    init(slackURL: String?, slackRecorder: FakeRecorder?, jiraURL: String? = nil, jiraRecorder: FakeRecorder? = nil,
         jiraFlavour: JiraSettings.Flavour = .cloud, transitions: TicketPolicy.Transitions = TicketPolicy.Transitions(
            onStart: "Start deployment", onSuccess: "Deployed", onFailure: "Deployment failed"),
         wrapLedger: (any NotificationLedger) -> any NotificationLedger = { $0 }) async throws {
        factory = try SQLiteStoreFactory()
        guard let opened = try await factory.open() as? SQLDeploymentStore else { throw FakeError("not a SQL store") }
        store = opened
        await store.enableNotificationOutbox()
        let slack = slackURL.map {
            SlackSettings(botToken: SecretReference(source: .env, name: "SLACK_BOT_TOKEN"),
                          signingSecret: SecretReference(source: .env, name: "SLACK_SIGNING_SECRET"),
                          apiURL: $0 + "/api", updateInterval: .seconds(5), defaultChannel: Self.channel)
        }
        let jira = jiraURL.map { url in
            JiraSettings(baseURL: url, credentials: jiraFlavour == .cloud
                ? .cloud(email: "bot@example.com", apiToken: SecretReference(source: .env, name: "JIRA_API_TOKEN"))
                : .dataCenter(personalAccessToken: SecretReference(source: .env, name: "JIRA_PAT")))
        }
        let settings = IntegrationsSettings(publicURL: "https://waveline.example.com", slack: slack, jira: jira,
                                            ticketPolicies: ["prod": TicketPolicy(transitions: transitions)])
        let slackClient = slack.map { SlackClient(baseURL: $0.apiURL, botToken: "xoxb-test-token-123456") }
        let jiraClient = jira.map { settings in
            JiraClient(baseURL: settings.baseURL, flavour: settings.flavour,
                       authorization: settings.flavour == .cloud ? .basic(email: "bot@example.com", apiToken: "jira-api-token-123456")
                                                                 : .bearer(personalAccessToken: "jira-pat-123456789"))
        }
        let secret = Self.secretValue
        dispatcher = NotificationDispatcher(
            ledger: wrapLedger(StoreNotificationLedger(store: opened)), settings: settings, slack: slackClient, jira: jiraClient, time: time,
            mask: { $0.replacingOccurrences(of: secret, with: "********") }, random: { 0.5 })
        self.slackRecorder = slackRecorder
        self.jiraRecorder = jiraRecorder
    }

    func close() async {
        try? await store.close()
        try? await factory.destroy()
    }

    /// One pass at the current manual time, logged.
    func pass() async {
        await dispatcher.pass()
        let now = time.now()
        let counts = (slackRecorder?.requests.count ?? 0, jiraRecorder?.requests.count ?? 0)
        passLog.withLock { $0.append((now, counts.0, counts.1)) }
    }

    /// Passes, moving the time by `step` after each, until `done` holds (at most `limit` passes).
    @discardableResult
    func drive(step: Double = 0.5, limit: Int = 2000, until done: () async throws -> Bool) async rethrows -> Bool {
        for _ in 0..<limit {
            await pass()
            if try await done() { return true }
            time.advance(by: step)
        }
        return false
    }

    /// The manual time each Slack request was made at, in order.
    var slackRequestTimes: [Double] {
        var times: [Double] = []
        for entry in passLog.withLock({ $0 }) {
            while times.count < entry.slack { times.append(entry.time) }
        }
        return times
    }

    /// Whether every outbox message is settled.
    func allSettled() async throws -> Bool { try await store.openOutbox(limit: 10).isEmpty }

    // MARK: Writing as the engine does

    static let operation = WavelineCore.Operation(
        name: "kafka-restart", description: "Rolling restart", idempotent: true, parameters: [], preChecks: [],
        steps: [Step(name: "restart", command: .argv(["systemctl", "restart", "kafka"]))])

    func deployment(_ id: Int64, ticket: String? = "CHG-1", checked: Bool = true, status: DeploymentStatus = .running) -> DeploymentRecord {
        var record = DeploymentRecord(
            id: id, operation: Self.operation, strategy: "one-by-one", parameters: [:],
            selection: Selection(environments: ["prod"], products: ["kafka"]), environments: ["prod"], products: ["kafka"],
            requestedBy: "alice", reason: "patch brokers (token \(Self.secretValue))", ticket: ticket, status: status,
            failureBudget: 1, targetCount: 2, createdAt: time.now())
        record.updatedAt = time.now()
        // As the ticket check at request time leaves it: Jira is told only of tickets it was asked about.
        if let ticket, checked {
            let project = String(ticket.prefix { $0 != "-" })
            record.checkedTicket = CheckedTicket(
                facts: TicketFacts(key: ticket, issueID: "10001", project: project, status: "Approved", url: "https://jira.test/browse/\(ticket)"),
                requestedKey: ticket, checkedAt: time.now())
        }
        return record
    }

    func target(_ deploymentID: Int64, _ index: Int) -> TargetRecord {
        let node = Node(name: "kafka-\(index)", cluster: "kafka-prod", zone: "az1", labels: [:], variables: [:],
                        connection: .local(LocalConnection(directory: "/srv/kafka-\(index)")))
        return TargetRecord(deploymentId: deploymentID, index: index,
                            target: PlannedTarget(node: node, environment: "prod", product: "kafka", phase: 0, batch: index))
    }

    func phase(_ deploymentID: Int64, status: PhaseStatus = .running) -> PhaseRecord {
        PhaseRecord(deploymentId: deploymentID, index: 0, state: PhaseState(
            name: "all", gate: .automatic, parallelism: 1, failureBudget: 1, batches: [[0], [1]], status: status))
    }

    func event(_ deploymentID: Int64, _ kind: String, actor: String = "waveline", reason: String? = nil) -> StoreChange {
        .appendEvent(EventRecord(deploymentId: deploymentID, time: time.now(), actor: actor, kind: kind, message: kind, reason: reason))
    }

    /// A deployment's life as the engine writes it, one write per step: created, its phase started, a node
    /// failed, a person paused and resumed, and the outcome.
    func writeLife(_ id: Int64, ticket: String? = "CHG-1", checked: Bool = true, outcome: DeploymentStatus = .failed) async throws {
        var record = deployment(id, ticket: ticket, checked: checked)
        try await store.write([.saveDeployment(record), .savePhase(phase(id, status: .pending)), .saveTarget(target(id, 0)),
                               .saveTarget(target(id, 1)), event(id, "deployment.created", actor: "alice")])
        record.startedAt = time.now()
        try await store.write([.saveDeployment(record), .savePhase(phase(id)), event(id, "phase.started")])
        var failed = target(id, 0)
        failed.status = .failed
        failed.failure = FailurePoint(stage: .step, step: "restart", exitCode: 3, reason: "exit 3")
        try await store.write([.saveTarget(failed), event(id, "target.failed")])
        try await store.write([event(id, "action.pause", actor: "bob", reason: "looking at kafka-0")])
        try await store.write([event(id, "action.resume", actor: "bob")])
        record.status = outcome
        record.finishedAt = time.now()
        try await store.write([.saveDeployment(record), .savePhase(phase(id, status: .completed)), event(id, "deployment.\(outcome.rawValue)")])
    }

    /// The Slack replies expected for `writeLife`, in order.
    static let lifeReplies: [String] = ["e-failure", "e-pause", "e-resume", "e-outcome"]
}

extension FakeSlack.Message {
    var markerMessageID: String? { SlackMarker(metadata: metadata)?.messageID }
    var markerDeploymentID: Int64? { SlackMarker(metadata: metadata)?.deploymentID }
}

/// A ledger that loses the record of one successful send, once: what a crash between the call and its record
/// leaves (the delivery stays `sending`).
final class LosingLedger: NotificationLedger {
    let base: any NotificationLedger
    let losesKind: NoticeKind
    private let lost = Mutex(false)

    init(_ base: any NotificationLedger, losing kind: NoticeKind) {
        self.base = base
        self.losesKind = kind
    }

    var hasLost: Bool { lost.withLock { $0 } }

    func openOutbox(limit: Int) async throws -> [OutboxEntry] { try await base.openOutbox(limit: limit) }
    func outbox(of deploymentID: Int64) async throws -> [OutboxEntry] { try await base.outbox(of: deploymentID) }
    func thread(of deploymentID: Int64) async throws -> NotificationThread? { try await base.thread(of: deploymentID) }
    func openThreads(limit: Int) async throws -> [NotificationThread] { try await base.openThreads(limit: limit) }
    func detail(of deploymentID: Int64) async throws -> DeploymentDetail? { try await base.detail(of: deploymentID) }

    func save(deliveries: [NotificationDelivery], thread: NotificationThread?, settled: [OutboxMessage]) async throws {
        if deliveries.count == 1, let delivery = deliveries.first, delivery.destination == .slack, delivery.state == .sent,
           delivery.externalReference?.hasPrefix("parent") == false {
            let kinds = try await base.outbox(of: delivery.deploymentID)
            let isTarget = kinds.contains { $0.message.eventID == delivery.eventID && $0.message.seq == delivery.seq && $0.message.kind == losesKind }
            if isTarget, lost.withLock({ state in defer { state = true }; return !state }) {
                throw FakeError("the server died before recording the send")
            }
        }
        try await base.save(deliveries: deliveries, thread: thread, settled: settled)
    }
}

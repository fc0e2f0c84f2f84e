import WavelineCore

/// One change to durable state. A list of changes passed to `DeploymentStore.write` is stored atomically.
public enum StoreChange: Sendable {
    case saveDeployment(DeploymentRecord)
    case savePhase(PhaseRecord)
    case saveTarget(TargetRecord)
    case saveStepRun(StepRunRecord)
    case appendLogs([LogLineRecord])
    case appendEvent(EventRecord)
    /// What Waveline last put on a node; one row per node, the last write wins.
    case saveNodeState(NodeStateRecord)
    /// Users, API tokens and sessions (see `IdentityStore`); written with the audit event of the action.
    case saveUser(UserRecord)
    case saveToken(APITokenRecord)
    case saveSession(SessionRecord)
    case remove(IdentityRemoval)
    /// Notifications (see `NotificationReader`): the state of one message at one destination, a deployment's
    /// Slack thread, and an outbox message done at every destination.
    case saveDelivery(NotificationDelivery)
    case saveNotificationThread(NotificationThread)
    case settleOutbox(eventID: Int64, seq: Int)
}

/// Filters for listing deployments, newest first.
public struct DeploymentQuery: Sendable, Hashable {
    public var statuses: [DeploymentStatus]
    public var environment: String?
    public var product: String?
    public var requestedBy: String?
    /// Words a person types in a search box: matches the operation, reason, ticket, requester, environments
    /// or products (case-insensitively, as a substring), or the deployment id.
    public var text: String?
    /// Only deployments with an id below this one (paging).
    public var beforeID: Int64?
    public var limit: Int

    public init(
        statuses: [DeploymentStatus] = [], environment: String? = nil, product: String? = nil,
        requestedBy: String? = nil, text: String? = nil, beforeID: Int64? = nil, limit: Int = 50
    ) {
        self.statuses = statuses
        self.environment = environment
        self.product = product
        self.requestedBy = requestedBy
        self.text = text
        self.beforeID = beforeID
        self.limit = limit
    }
}

/// What the engine needs of durable state: it writes only through `write`, which returns once the changes are
/// committed (implementations may commit concurrent writers together: group commit), and reads back what
/// recovery and the drivers resume from.
public protocol DeploymentWriter: Sendable {
    func write(_ changes: [StoreChange]) async throws

    /// The id a new deployment should get (one more than the highest so far).
    func nextDeploymentID() async throws -> Int64
    /// The highest log line id stored, 0 if none: where new ids continue.
    func maxLogLineID() async throws -> Int64
    /// Deployments not in a final state, oldest first: what the engine resumes at start.
    func unfinishedDeployments() async throws -> [DeploymentRecord]

    func deployment(_ id: Int64) async throws -> DeploymentRecord?
    func phases(of deploymentID: Int64) async throws -> [PhaseRecord]
    func targets(of deploymentID: Int64) async throws -> [TargetRecord]
    func stepRuns(of deploymentID: Int64, target: Int?) async throws -> [StepRunRecord]
    /// The last `count` lines of one node's log, in order.
    func lastLogLines(of deploymentID: Int64, target: Int, count: Int) async throws -> [LogLineRecord]

    func close() async throws
}

/// What pages and API routes read: deployments and their runs, logs, events, node states and histories. Never
/// writes; the server is handed one directly, not through the engine.
public protocol DeploymentReader: Sendable {
    func deployment(_ id: Int64) async throws -> DeploymentRecord?
    func deployments(_ query: DeploymentQuery) async throws -> [DeploymentRecord]
    func phases(of deploymentID: Int64) async throws -> [PhaseRecord]
    func targets(of deploymentID: Int64) async throws -> [TargetRecord]
    func stepRuns(of deploymentID: Int64, target: Int?) async throws -> [StepRunRecord]
    /// Log lines in id order, after the cursor `afterID`, at most `limit`: of every node run, or of the given
    /// runs (a node that was rolled back has two).
    func logLines(of deploymentID: Int64, targets: [Int]?, afterID: Int64, limit: Int) async throws -> [LogLineRecord]
    /// The last `count` lines of one node's log, in order.
    func lastLogLines(of deploymentID: Int64, target: Int, count: Int) async throws -> [LogLineRecord]
    /// Phases, target counts per phase, kind and status, and the first `failureLimit` failed nodes with the
    /// last `lastLines` of their last `window` log lines that are not system lines, of each deployment given:
    /// what a list of deployments shows (see `DeploymentOverview`).
    func overviews(of deploymentIDs: [Int64], failureLimit: Int, lastLines: Int, window: Int) async throws -> [Int64: DeploymentOverview]
    func events(of deploymentID: Int64?, afterID: Int64, limit: Int) async throws -> [EventRecord]
    /// Events in id order after `query.afterID` (newest first when asked, from `beforeID`), filtered by
    /// deployment, kinds and actor, at most `query.limit`.
    func events(_ query: EventQuery) async throws -> [EventRecord]

    /// What Waveline last put on every node it has run on, by node name.
    func nodeStates() async throws -> [NodeStateRecord]
    func nodeState(named node: String) async throws -> NodeStateRecord?
    /// A node's runs across deployments, newest first (by deployment, then run), at most `limit`, strictly
    /// older than `before` when given.
    func nodeHistory(node: String, limit: Int, before: NodeRunCursor?) async throws -> [NodeRunRecord]

    /// The newest event as the writer recorded it; nil when no event was ever written.
    func auditHead() async throws -> AuditHead?
}

/// Durable state of deployments, their runs and logs, written and read: one implementation serves both faces
/// (the engine holds it as a writer, the server's read side as a reader). One test suite runs against every
/// implementation.
public protocol DeploymentStore: DeploymentWriter, DeploymentReader {}

extension DeploymentReader {
    public func auditHead() async throws -> AuditHead? { nil }
}

/// A store error that says what failed and where, never a bare driver message alone.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

import WavelineAPI
import WavelineCore

/// What the dispatcher reads and writes: the store's outbox and delivery state, and a deployment's detail to
/// render. The server implements it over its store and read side; the dispatcher never writes anything else, so
/// the engine never waits on it.
public protocol NotificationLedger: Sendable {
    /// Outbox messages not settled yet, in event order, with their deliveries so far.
    func openOutbox(limit: Int) async throws -> [OutboxEntry]
    /// Every outbox message of a deployment, in event order.
    func outbox(of deploymentID: Int64) async throws -> [OutboxEntry]
    func thread(of deploymentID: Int64) async throws -> NotificationThread?
    /// Threads whose parent may still change.
    func openThreads(limit: Int) async throws -> [NotificationThread]
    /// Stores delivery state in one write.
    func save(deliveries: [NotificationDelivery], thread: NotificationThread?, settled: [OutboxMessage]) async throws
    /// The deployment as the API shows it (unfiltered: the dispatcher is the server itself); nil when unknown.
    func detail(of deploymentID: Int64) async throws -> DeploymentDetail?
}

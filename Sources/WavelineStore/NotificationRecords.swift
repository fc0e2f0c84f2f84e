import WavelineCore

/// A row of `outbox`: a notice to tell, written with its event (`NotificationRules` decides which). `settled` once
/// every destination's delivery is final, so the dispatcher's work list stays short.
struct OutboxRecord: Sendable, Hashable, Codable {
    var eventId: Int64
    var seq: Int
    var deploymentId: Int64
    var kind: String
    var subject: Int?
    var action: String?
    var actor: String
    var reason: String?
    var createdAt: Double
    var settled: Int

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", seq, deploymentId = "deployment_id", kind, subject, action, actor, reason, createdAt = "created_at", settled
    }
}

/// A row of `deliveries`: one outbox message at one destination.
struct DeliveryRecord: Sendable, Hashable, Codable {
    var eventId: Int64
    var seq: Int
    var destination: String
    var deploymentId: Int64
    var state: String
    var attempts: Int
    var lastError: String?
    var nextAttemptAt: Double?
    var externalRef: String?
    var updatedAt: Double

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", seq, destination, deploymentId = "deployment_id", state, attempts, lastError = "last_error",
             nextAttemptAt = "next_attempt_at", externalRef = "external_ref", updatedAt = "updated_at"
    }

    init(_ delivery: NotificationDelivery) {
        eventId = delivery.eventID
        seq = delivery.seq
        destination = delivery.destination.rawValue
        deploymentId = delivery.deploymentID
        state = delivery.state.rawValue
        attempts = delivery.attempts
        lastError = delivery.lastError
        nextAttemptAt = delivery.nextAttemptAt
        externalRef = delivery.externalReference
        updatedAt = delivery.updatedAt
    }
}

/// A row of `notification_threads`: a deployment's Slack thread and its parent's delivery.
struct NotificationThreadRecord: Sendable, Hashable, Codable {
    var deploymentId: Int64
    var channel: String
    var parentTs: String?
    var state: String
    var attempts: Int
    var lastError: String?
    var nextAttemptAt: Double?
    var lastRenderedAt: Double?
    var renderedDigest: String?
    var closed: Int
    var createdAt: Double
    var updatedAt: Double

    enum CodingKeys: String, CodingKey {
        case deploymentId = "deployment_id", channel, parentTs = "parent_ts", state, attempts, lastError = "last_error",
             nextAttemptAt = "next_attempt_at", lastRenderedAt = "last_rendered_at", renderedDigest = "rendered_digest", closed,
             createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ thread: NotificationThread) {
        deploymentId = thread.deploymentID
        channel = thread.channel
        parentTs = thread.parentTS
        state = thread.state.rawValue
        attempts = thread.attempts
        lastError = thread.lastError
        nextAttemptAt = thread.nextAttemptAt
        lastRenderedAt = thread.lastRenderedAt
        renderedDigest = thread.renderedDigest
        closed = thread.closed ? 1 : 0
        createdAt = thread.createdAt
        updatedAt = thread.updatedAt
    }
}

/// What the notifications dispatcher and the Notifications API read. The dispatcher writes delivery state
/// through `DeploymentWriter.write` (`.saveDelivery`, `.saveNotificationThread`, `.settleOutbox`).
public protocol NotificationReader: Sendable {
    /// Outbox messages not yet settled at every destination, in event order, with their deliveries so far.
    func openOutbox(limit: Int) async throws -> [OutboxEntry]
    /// Every outbox message of a deployment, in event order, with its deliveries.
    func outbox(of deploymentID: Int64) async throws -> [OutboxEntry]
    func notificationThread(of deploymentID: Int64) async throws -> NotificationThread?
    /// Threads whose parent may still change (the deployment was not final when it was last rendered).
    func openNotificationThreads(limit: Int) async throws -> [NotificationThread]
}

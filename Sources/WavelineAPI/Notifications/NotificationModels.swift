// The JSON shapes of a deployment's notifications: what Waveline sends Slack and Jira about it, and how far each
// message got (`GET /api/v1/deployments/{id}/notifications`).

/// One message at one destination.
public struct NotificationView: Codable, Sendable, Hashable {
    /// `e<event id>-<n>`: the outbox message, the same at every destination (and in the marker Waveline puts on it).
    public var messageId: String
    /// The event that caused it.
    public var eventId: Int64
    /// `slack`, `jira_comment`, `jira_link`, `jira_transition`.
    public var destination: String
    /// `requested`, `approval_needed`, `phase_started`, `gate_waiting`, `failure`, `operator_action`, `progress`, `outcome`.
    public var kind: String
    /// `pending`, `sending`, `sent`, `failed`, `skipped` (no delivery planned yet: `pending`).
    public var state: String
    public var attempts: Int
    /// The last error, or why it was skipped.
    public var lastError: String?
    /// Slack's message `ts`, Jira's comment id, the link's global id, the transition applied.
    public var externalReference: String?
    public var createdAt: Double
    public var updatedAt: Double?
    public var nextAttemptAt: Double?

    public init(messageId: String, eventId: Int64, destination: String, kind: String, state: String, attempts: Int, lastError: String?,
                externalReference: String?, createdAt: Double, updatedAt: Double?, nextAttemptAt: Double?) {
        self.messageId = messageId
        self.eventId = eventId
        self.destination = destination
        self.kind = kind
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.externalReference = externalReference
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.nextAttemptAt = nextAttemptAt
    }
}

/// The deployment's Slack thread: its channel and parent message.
public struct NotificationThreadView: Codable, Sendable, Hashable {
    public var channel: String
    /// The parent's `ts` once posted.
    public var parentTs: String?
    public var state: String
    public var attempts: Int
    public var lastError: String?
    /// When the parent was last posted or updated.
    public var lastRenderedAt: Double?

    public init(channel: String, parentTs: String?, state: String, attempts: Int, lastError: String?, lastRenderedAt: Double?) {
        self.channel = channel
        self.parentTs = parentTs
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.lastRenderedAt = lastRenderedAt
    }
}

public struct NotificationList: Codable, Sendable, Hashable {
    public var deploymentId: Int64
    /// Absent until the parent is first attempted (or when Slack is not configured).
    public var thread: NotificationThreadView?
    /// In the order they are sent: by event, then destination.
    public var notifications: [NotificationView]

    public init(deploymentId: Int64, thread: NotificationThreadView?, notifications: [NotificationView]) {
        self.deploymentId = deploymentId
        self.thread = thread
        self.notifications = notifications
    }
}

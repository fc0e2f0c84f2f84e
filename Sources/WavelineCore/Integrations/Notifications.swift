/// What Waveline tells Slack and Jira about, as the store's outbox keeps it: one message per notifiable event,
/// written in the same transaction as the event (so none is lost and none is invented), then delivered to each
/// destination with its own state.

/// Why a message is sent. Stored as its raw value.
public enum NoticeKind: String, Sendable, Hashable, CaseIterable {
    /// The deployment was requested and may start (or is queued): its thread's parent appears.
    case requested
    /// It touches a protected environment and waits for a second person.
    case approvalNeeded = "approval_needed"
    /// A phase started: the parent moves on; the first one is the deployment's start on its ticket.
    case phaseStarted = "phase_started"
    /// A phase is done and the next waits at its gate (`subject`: the phase index).
    case gateWaiting = "gate_waiting"
    /// A node failed (`subject`: the target index).
    case failure
    /// A person acted (`action`: the `OperatorAction` raw value; `actor`, `reason` from the event).
    case operatorAction = "operator_action"
    /// Waveline itself changed the state (halted, paused, resumed after a restart, dequeued): the parent only.
    case progress
    /// It is over: the outcome with its duration; the end comment and transition on the ticket.
    case outcome
}

/// One notice an event gives rise to, before the store numbers it.
public struct Notice: Sendable, Hashable {
    public var kind: NoticeKind
    /// The phase (gate waiting) or target (failure) index it is about.
    public var subject: Int?
    /// The operator action, for `.operatorAction`.
    public var action: String?

    public init(kind: NoticeKind, subject: Int? = nil, action: String? = nil) {
        self.kind = kind
        self.subject = subject
        self.action = action
    }
}

/// Which events are told, as a pure function of what one write stores about one deployment. Status handling is
/// here and only here (`isSuccess`), so a new deployment status is decided in one place.
public enum NotificationRules {
    /// What one write stores about the deployment of an event: read by the store from the same list of changes.
    public struct WriteFacts: Sendable, Hashable {
        /// The deployment's status as this write saves it; nil when the write does not save the deployment.
        public var deploymentStatus: DeploymentStatus?
        /// Phases this write saves at their gate.
        public var phasesAtGate: [Int]
        /// Targets this write saves as failed.
        public var failedTargets: [Int]

        public init(deploymentStatus: DeploymentStatus? = nil, phasesAtGate: [Int] = [], failedTargets: [Int] = []) {
            self.deploymentStatus = deploymentStatus
            self.phasesAtGate = phasesAtGate
            self.failedTargets = failedTargets
        }
    }

    /// The notices of one event (by its `kind`), in the order they are told. Events without a deployment (sign-ins,
    /// users, tokens) and kinds not listed are not told.
    public static func notices(eventKind kind: String, facts: WriteFacts) -> [Notice] {
        var notices: [Notice] = []
        switch kind {
        case "deployment.created":
            notices.append(Notice(kind: facts.deploymentStatus == .pendingApproval ? .approvalNeeded : .requested))
        case "phase.started":
            notices.append(Notice(kind: .phaseStarted))
        case "phase.finished":
            if let phase = facts.phasesAtGate.first {
                notices.append(Notice(kind: .gateWaiting, subject: phase))
            } else {
                notices.append(Notice(kind: .progress))
            }
        case "target.failed":
            notices.append(Notice(kind: .failure, subject: facts.failedTargets.first))
        case "gate.opened", "deployment.paused", "deployment.halted", "deployment.recovered", "deployment.dequeued":
            notices.append(Notice(kind: .progress))
        default:
            if kind.hasPrefix("action.") {
                let action = String(kind.dropFirst("action.".count))
                if OperatorAction(rawValue: action) != nil { notices.append(Notice(kind: .operatorAction, action: action)) }
            } else if !kind.hasPrefix("deployment.") {
                return []
            }
        }
        // The write that makes the deployment final tells the outcome, after what caused it (an abort, the last
        // node's failure). `deployment.succeeded|failed|…` and any new final state land here.
        if let status = facts.deploymentStatus, status.isFinal { notices.append(Notice(kind: .outcome)) }
        return notices
    }

    /// Whether a final status is a success: the ticket's success transition, and a reply not broadcast. Every other
    /// final status (failed, aborted, rolled back) is a failure.
    public static func isSuccess(_ status: DeploymentStatus) -> Bool { status == .succeeded }
}

/// Where a message goes. The Jira steps are separate deliveries, so that each is done once and shown on its own.
public enum DeliveryDestination: String, Sendable, Hashable, CaseIterable {
    case slack
    case jiraComment = "jira_comment"
    case jiraLink = "jira_link"
    case jiraTransition = "jira_transition"

    /// Deliveries of one service to one deployment are sent in order; the services do not wait for each other.
    public var service: String { self == .slack ? "slack" : "jira" }
}

public enum DeliveryState: String, Sendable, Hashable, CaseIterable {
    /// Not sent yet (or to be retried at `nextAttemptAt`).
    case pending
    /// The call was made and its result not recorded: after a crash, look for it before sending again.
    case sending
    case sent
    /// A permanent error (or one that outlived the attempts): kept with its error; the lane moved on.
    case failed
    /// Nothing to send (no ticket, no transition configured, the destination is not configured).
    case skipped

    public var isFinal: Bool { self == .sent || self == .failed || self == .skipped }
}

/// One message of the outbox, as stored with its event.
public struct OutboxMessage: Sendable, Hashable {
    public var eventID: Int64
    /// 0, 1: the notices of one event.
    public var seq: Int
    public var deploymentID: Int64
    public var kind: NoticeKind
    public var subject: Int?
    public var action: String?
    /// The event's actor and reason (an operator action's who and why).
    public var actor: String
    public var reason: String?
    public var createdAt: Double

    public init(eventID: Int64, seq: Int, deploymentID: Int64, kind: NoticeKind, subject: Int? = nil, action: String? = nil,
                actor: String, reason: String? = nil, createdAt: Double) {
        self.eventID = eventID
        self.seq = seq
        self.deploymentID = deploymentID
        self.kind = kind
        self.subject = subject
        self.action = action
        self.actor = actor
        self.reason = reason
        self.createdAt = createdAt
    }

    /// Unique per message: Slack's metadata marker and Jira's comment marker carry it.
    public var messageID: String { "e\(eventID)-\(seq)" }
}

/// The state of one message at one destination.
public struct NotificationDelivery: Sendable, Hashable {
    public var eventID: Int64
    public var seq: Int
    public var destination: DeliveryDestination
    public var deploymentID: Int64
    public var state: DeliveryState
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Double?
    /// Slack's `ts`, Jira's comment id, the transition applied.
    public var externalReference: String?
    public var updatedAt: Double

    public init(eventID: Int64, seq: Int, destination: DeliveryDestination, deploymentID: Int64, state: DeliveryState = .pending,
                attempts: Int = 0, lastError: String? = nil, nextAttemptAt: Double? = nil, externalReference: String? = nil, updatedAt: Double) {
        self.eventID = eventID
        self.seq = seq
        self.destination = destination
        self.deploymentID = deploymentID
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.externalReference = externalReference
        self.updatedAt = updatedAt
    }
}

/// A deployment's Slack thread: where its parent is, and the parent's own delivery (posted once, then updated).
public struct NotificationThread: Sendable, Hashable {
    public var deploymentID: Int64
    public var channel: String
    /// The parent's `ts` once posted.
    public var parentTS: String?
    public var state: DeliveryState
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Double?
    /// When the parent was last posted or updated, and a digest of what it then said (an update that would say
    /// the same is not sent).
    public var lastRenderedAt: Double?
    public var renderedDigest: String?
    /// The deployment was final when the parent was last rendered: no more updates.
    public var closed: Bool
    public var createdAt: Double
    public var updatedAt: Double

    public init(deploymentID: Int64, channel: String, parentTS: String? = nil, state: DeliveryState = .pending, attempts: Int = 0,
                lastError: String? = nil, nextAttemptAt: Double? = nil, lastRenderedAt: Double? = nil, renderedDigest: String? = nil,
                closed: Bool = false, createdAt: Double, updatedAt: Double) {
        self.deploymentID = deploymentID
        self.channel = channel
        self.parentTS = parentTS
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.lastRenderedAt = lastRenderedAt
        self.renderedDigest = renderedDigest
        self.closed = closed
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An outbox message with what has been done about it so far (no deliveries yet: not planned).
public struct OutboxEntry: Sendable, Hashable {
    public var message: OutboxMessage
    public var deliveries: [NotificationDelivery]

    public init(message: OutboxMessage, deliveries: [NotificationDelivery]) {
        self.message = message
        self.deliveries = deliveries
    }
}

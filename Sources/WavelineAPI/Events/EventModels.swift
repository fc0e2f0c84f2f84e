// The JSON shapes of the event journal (the audit trail's entries as the API lists them).

public struct EventView: Codable, Sendable {
    public var id: Int64
    public var deploymentId: Int64?
    public var time: Double
    public var actor: String
    public var kind: String
    public var message: String
    /// Why and from where, as the audit trail holds them: filled for auditors (the audit page) only. The events
    /// feed, open to every viewer, leaves them out, so a person's address is not shown to everyone.
    public var reason: String?
    public var ticket: String?
    public var origin: String?

    public init(
        id: Int64, deploymentId: Int64?, time: Double, actor: String, kind: String, message: String, reason: String? = nil, ticket: String? = nil,
        origin: String? = nil
    ) {
        self.id = id
        self.deploymentId = deploymentId
        self.time = time
        self.actor = actor
        self.kind = kind
        self.message = message
        self.reason = reason
        self.ticket = ticket
        self.origin = origin
    }
}

public struct EventList: Codable, Sendable {
    public var events: [EventView]
    /// Pass as `after` to continue: the last event's id, or the `after` given when there is none.
    public var cursor: Int64

    public init(events: [EventView], cursor: Int64) {
        self.events = events
        self.cursor = cursor
    }
}

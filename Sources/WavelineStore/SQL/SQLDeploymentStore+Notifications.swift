import SQLKit
import WavelineCore

extension SQLDeploymentStore: NotificationReader {
    public func openOutbox(limit: Int) async throws -> [OutboxEntry] {
        let rows = try await reader.raw("""
            SELECT * FROM outbox WHERE settled = 0 ORDER BY event_id, seq LIMIT \(bind: max(1, limit))
            """).all()
        let messages = try rows.map(OutboxMessage.init(row:))
        guard let first = messages.first, let last = messages.last else { return [] }
        let deliveries = try await reader.raw("""
            SELECT * FROM deliveries WHERE event_id >= \(bind: first.eventID) AND event_id <= \(bind: last.eventID)
            """).all().map(NotificationDelivery.init(row:))
        return Self.join(messages, deliveries)
    }

    public func outbox(of deploymentID: Int64) async throws -> [OutboxEntry] {
        let messages = try await reader.raw("""
            SELECT * FROM outbox WHERE deployment_id = \(bind: deploymentID) ORDER BY event_id, seq
            """).all().map(OutboxMessage.init(row:))
        let deliveries = try await reader.raw("""
            SELECT * FROM deliveries WHERE deployment_id = \(bind: deploymentID)
            """).all().map(NotificationDelivery.init(row:))
        return Self.join(messages, deliveries)
    }

    public func notificationThread(of deploymentID: Int64) async throws -> NotificationThread? {
        try await reader.raw("SELECT * FROM notification_threads WHERE deployment_id = \(bind: deploymentID)").first()
            .map(NotificationThread.init(row:))
    }

    public func openNotificationThreads(limit: Int) async throws -> [NotificationThread] {
        try await reader.raw("""
            SELECT * FROM notification_threads WHERE closed = 0 ORDER BY deployment_id LIMIT \(bind: max(1, limit))
            """).all().map(NotificationThread.init(row:))
    }

    /// Deliveries beside their message, in destination order.
    private static func join(_ messages: [OutboxMessage], _ deliveries: [NotificationDelivery]) -> [OutboxEntry] {
        var byMessage: [String: [NotificationDelivery]] = [:]
        for delivery in deliveries { byMessage["\(delivery.eventID)/\(delivery.seq)", default: []].append(delivery) }
        let order = DeliveryDestination.allCases
        return messages.map { message in
            let found = (byMessage["\(message.eventID)/\(message.seq)"] ?? [])
                .sorted { (order.firstIndex(of: $0.destination) ?? 0) < (order.firstIndex(of: $1.destination) ?? 0) }
            return OutboxEntry(message: message, deliveries: found)
        }
    }
}

extension OutboxMessage {
    init(row: any SQLRow) throws {
        let kind: NoticeKind = try row.value("kind")
        self.init(eventID: try row.int64("event_id"), seq: try row.int("seq"), deploymentID: try row.int64("deployment_id"), kind: kind,
                  subject: try row.optionalInt("subject"), action: try row.optionalText("action"), actor: try row.text("actor"),
                  reason: try row.optionalText("reason"), createdAt: try row.double("created_at"))
    }
}

extension NotificationDelivery {
    init(row: any SQLRow) throws {
        let destination: DeliveryDestination = try row.value("destination")
        let state: DeliveryState = try row.value("state")
        self.init(eventID: try row.int64("event_id"), seq: try row.int("seq"), destination: destination,
                  deploymentID: try row.int64("deployment_id"), state: state, attempts: try row.int("attempts"),
                  lastError: try row.optionalText("last_error"), nextAttemptAt: try row.optionalDouble("next_attempt_at"),
                  externalReference: try row.optionalText("external_ref"), updatedAt: try row.double("updated_at"))
    }
}

extension NotificationThread {
    init(row: any SQLRow) throws {
        let state: DeliveryState = try row.value("state")
        self.init(deploymentID: try row.int64("deployment_id"), channel: try row.text("channel"), parentTS: try row.optionalText("parent_ts"),
                  state: state, attempts: try row.int("attempts"), lastError: try row.optionalText("last_error"),
                  nextAttemptAt: try row.optionalDouble("next_attempt_at"), lastRenderedAt: try row.optionalDouble("last_rendered_at"),
                  renderedDigest: try row.optionalText("rendered_digest"), closed: try row.int("closed") != 0,
                  createdAt: try row.double("created_at"), updatedAt: try row.double("updated_at"))
    }
}

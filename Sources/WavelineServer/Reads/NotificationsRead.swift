import WavelineAPI
import WavelineCore
import WavelineStore

/// A deployment's notifications (`GET /deployments/{id}/notifications`): each outbox message at each
/// destination with its delivery state, and the Slack thread. Readable by whoever may read the deployment.
struct NotificationsRead: Sendable {
    let reader: any DeploymentReader

    func list(_ id: Int64, context: WavelineRequestContext) async throws -> NotificationList {
        try await DeploymentAccess(reader: reader).authorizeRead(id, context: context)
        guard let notifications = reader as? any NotificationReader else {
            return NotificationList(deploymentId: id, thread: nil, notifications: [])
        }
        let entries = try await notifications.outbox(of: id)
        let thread = try await notifications.notificationThread(of: id)
        var views: [NotificationView] = []
        for entry in entries {
            let message = entry.message
            if entry.deliveries.isEmpty {
                views.append(NotificationView(messageId: message.messageID, eventId: message.eventID, destination: DeliveryDestination.slack.rawValue,
                                              kind: message.kind.rawValue, state: DeliveryState.pending.rawValue, attempts: 0, lastError: nil,
                                              externalReference: nil, createdAt: message.createdAt, updatedAt: nil, nextAttemptAt: nil))
            }
            for delivery in entry.deliveries {
                views.append(NotificationView(messageId: message.messageID, eventId: message.eventID, destination: delivery.destination.rawValue,
                                              kind: message.kind.rawValue, state: delivery.state.rawValue, attempts: delivery.attempts,
                                              lastError: delivery.lastError, externalReference: delivery.externalReference,
                                              createdAt: message.createdAt, updatedAt: delivery.updatedAt, nextAttemptAt: delivery.nextAttemptAt))
            }
        }
        return NotificationList(deploymentId: id, thread: thread.map {
            NotificationThreadView(channel: $0.channel, parentTs: $0.parentTS, state: $0.state.rawValue, attempts: $0.attempts,
                                   lastError: $0.lastError, lastRenderedAt: $0.lastRenderedAt)
        }, notifications: views)
    }
}

import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineStore

/// The event trail of one deployment or of all: `GET /events`, `GET /deployments/{id}/events`, and the latest
/// events a deployment's page shows.
struct EventsRead: Sendable {
    let reader: any DeploymentReader

    /// A page of events with the query's kind, actor, cursor and limit. One deployment's events need read on
    /// it; the whole trail (users, tokens, every deployment) needs read-audit.
    func page(_ query: QueryValues, deployment: Int64?, context: WavelineRequestContext) async throws -> EventList {
        if let deployment {
            try await DeploymentAccess(reader: reader).authorizeRead(deployment, context: context)
        } else {
            try context.authorize(.readAudit)
        }
        let after = try query.id("after", minimum: 0, what: "an event id to continue after (a whole number, 0 or more)") ?? 0
        let limit = try query.int("limit", in: 1...1000) ?? 1000
        let records = try await reader.events(EventQuery(
            deploymentID: deployment, kinds: try query.eventKinds("kind"), actor: try query.userName("actor"), afterID: after, limit: limit
        ))
        return EventList(events: records.map { EventView($0) }, cursor: records.last?.id ?? after)
    }

    /// The newest `count` events of a deployment, newest first: read as such, not the whole trail.
    func latest(of deployment: Int64, count: Int) async throws -> [EventView] {
        try await reader.events(EventQuery(deploymentID: deployment, newestFirst: true, limit: count)).map { EventView($0) }
    }
}

import Hummingbird
import WavelineAPI
import WavelineCore
import WavelineEngine
import WavelineStore

/// `/api/v1/events`: the audit trail of every deployment, in order, from a cursor; filtered by deployment,
/// kind and actor. `/deployments/:id/events` (in `DeploymentsController`) reads the same with the deployment
/// fixed by the path.
struct EventsController {
    typealias Context = WavelineRequestContext
    let engine: Engine

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("events", use: list)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> EventList {
        let query = try QueryValues(request, allowed: ["deployment", "kind", "actor", "after", "limit"])
        let deployment = try query.id("deployment", what: "a deployment id (a positive whole number)")
        // One deployment's events need read on it; the whole trail (users, tokens, every deployment) needs read-audit.
        if let deployment {
            try context.authorize(.read, on: try await DeploymentsController.deployment(deployment, store: engine.store))
        } else {
            try context.authorize(.readAudit)
        }
        return try await Self.read(query, deployment: deployment, store: engine.store)
    }

    /// Reads a page of events with the query's kind, actor, cursor and limit.
    static func read(_ query: QueryValues, deployment: Int64?, store: any DeploymentStore) async throws -> EventList {
        let after = try query.id("after", minimum: 0, what: "an event id to continue after (a whole number, 0 or more)") ?? 0
        let limit = try query.int("limit", in: 1...1000) ?? 1000
        let records = try await store.events(EventQuery(
            deploymentID: deployment, kinds: try query.eventKinds("kind"), actor: try query.userName("actor"), afterID: after, limit: limit
        ))
        return EventList(events: records.map(EventView.init), cursor: records.last?.id ?? after)
    }
}

import Hummingbird
import WavelineAPI
import WavelineCore

/// `/api/v1/events`: the audit trail of every deployment, in order, from a cursor; filtered by deployment,
/// kind and actor. `/deployments/:id/events` (in `DeploymentsController`) reads the same with the deployment
/// fixed by the path.
struct EventsController {
    typealias Context = WavelineRequestContext
    let reads: ReadSide

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("events", use: list)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> EventList {
        let query = try QueryValues(request, allowed: ["deployment", "kind", "actor", "after", "limit"])
        let deployment = try query.id("deployment", what: "a deployment id (a positive whole number)")
        return try await reads.events.page(query, deployment: deployment, context: context)
    }
}

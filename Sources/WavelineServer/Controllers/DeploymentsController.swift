import Hummingbird
import WavelineAPI
import WavelineCore
import WavelineEngine

/// `/api/v1/deployments`: create, list, read, act on deployments.
struct DeploymentsController {
    typealias Context = WavelineRequestContext
    let engine: Engine
    let reads: ReadSide
    let actions: DeploymentActions
    /// Checks (or makes) the Jira ticket of a requested deployment; nil when no integrations are configured.
    var tickets: TicketGate?

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("deployments", use: list)
        group.post("deployments", use: create)
        group.get("deployments/:id", use: detail)
        group.post("deployments/:id/actions/:action", use: act)
        group.get("deployments/:id/events", use: events)
        group.get("deployments/:id/notifications", use: notifications)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> DeploymentList {
        let query = try QueryValues(request, allowed: ["status", "environment", "product", "requested_by", "q", "before", "limit"])
        return try await reads.deploymentList.page(query, context: context)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> EditedResponse<DeploymentDetail> {
        _ = try QueryValues(request, allowed: [])
        let requester = try context.signedIn()
        // Before any name the caller sent is looked up: someone who may not deploy anywhere learns nothing
        // about the inventory or the catalog from how their request fails.
        let leastDeployRole = Permissions.rule(for: .deploy(requiredRole: .viewer)).minimumRole
        guard requester.grants.contains(where: { $0.role >= leastDeployRole }) else {
            throw APIError(.forbidden, "\(requester.name) may not deploy anywhere: needs \(leastDeployRole) (or higher) for some environment or product")
        }
        let body = try await request.decodeJSON(CreateDeploymentBody.self, context: context)
        var deploymentRequest = DeploymentRequest(
            operation: body.operation, selection: body.selection, parameters: body.parameters ?? [:],
            strategy: body.strategy ?? Strategy.lightningThunder.name, reason: body.reason, ticket: body.ticket,
            requestedBy: requester.name, queue: body.queue ?? false, origin: request.origin(context: context)
        )
        let access = try await engine.requiredAccess(for: deploymentRequest)
        try context.authorize(.deploy(requiredRole: access.requiredRole), places: access.places)
        // Jira is asked only for someone who may make this deployment, and before the engine is.
        if let tickets {
            var environments: [String] = []
            for place in access.places where !environments.contains(place.environment) { environments.append(place.environment) }
            deploymentRequest.checkedTicket = try await tickets.admit(deploymentRequest, environments: environments, mask: engine.masker.mask)
        }
        let record = try await Self.noting(deploymentRequest.checkedTicket) { () async throws(EngineError) in try await engine.create(deploymentRequest) }
        return EditedResponse(status: .created, response: try await reads.deploymentDetail.detail(ofCreated: record))
    }

    /// The engine's refusal of a request Waveline made a Jira ticket for names the ticket, which stays in Jira:
    /// the next request can use it instead of making another.
    static func noting<T>(_ ticket: CheckedTicket?, _ create: () async throws(EngineError) -> T) async throws(EngineError) -> T {
        do {
            return try await create()
        } catch var error {
            if let made = ticket, made.createdByWaveline {
                error.message += " (Waveline made Jira ticket \(made.facts.key) for this request: give it with --ticket \(made.facts.key) when you ask again)"
            }
            throw error
        }
    }

    @Sendable func detail(_ request: Request, context: Context) async throws -> DeploymentDetail {
        _ = try QueryValues(request, allowed: [])
        let id = try deploymentID(context)
        var detail = try await reads.deploymentDetail.detail(id, context: context)
        // Paused because the store refuses writes: said before the store can hold it.
        if let refusal = engine.storeRefusals.reason(for: id) {
            detail.deployment.status = .paused
            detail.deployment.statusReason = refusal
        }
        return detail
    }

    @Sendable func act(_ request: Request, context: Context) async throws -> DeploymentDetail {
        let id = try deploymentID(context)
        let action = try DeploymentActions.action(named: context.parameters.get("action") ?? "")
        _ = try QueryValues(request, allowed: [])
        let body = try await request.decodeJSON(ActionBody.self, context: context, emptyMeans: ActionBody())
        try await actions.perform(action, on: id, nodes: body.nodes ?? [], reason: body.reason, request: request, context: context)
        return try await reads.deploymentDetail.detail(id)
    }

    @Sendable func events(_ request: Request, context: Context) async throws -> EventList {
        let id = try deploymentID(context)
        let query = try QueryValues(request, allowed: ["kind", "actor", "after", "limit"])
        return try await reads.events.page(query, deployment: id, context: context)
    }

    @Sendable func notifications(_ request: Request, context: Context) async throws -> NotificationList {
        let id = try deploymentID(context)
        _ = try QueryValues(request, allowed: [])
        return try await reads.notifications.list(id, context: context)
    }
}

func deploymentID(_ context: some RequestContext) throws -> Int64 {
    let raw = context.parameters.get("id") ?? ""
    guard let id = Int64(raw), id > 0 else {
        throw APIError(.badRequest, "deployment id must be a positive whole number, got \(raw.callerQuoted)")
    }
    return id
}


extension DeploymentDetail: ResponseEncodable {}
extension DeploymentList: ResponseEncodable {}
extension EventList: ResponseEncodable {}
extension NotificationList: ResponseEncodable {}
extension LogPage: ResponseEncodable {}
extension OperationList: ResponseEncodable {}
extension StrategyList: ResponseEncodable {}
extension NodeList: ResponseEncodable {}

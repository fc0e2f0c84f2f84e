import Hummingbird
import WavelineCore
import WavelineEngine
import WavelineStore

/// `/api/v1/deployments`: create, list, read, act on deployments.
struct DeploymentsController {
    typealias Context = WavelineRequestContext
    let engine: Engine

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("deployments", use: list)
        group.post("deployments", use: create)
        group.get("deployments/:id", use: detail)
        group.post("deployments/:id/actions/:action", use: act)
        group.get("deployments/:id/events", use: events)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> DeploymentList {
        let query = try QueryValues(request, allowed: ["status", "environment", "product", "requested_by", "q", "before", "limit"])
        var filter = DeploymentQuery()
        filter.statuses = try query.values("status", of: DeploymentStatus.self)
        filter.environment = try query.name("environment")
        filter.product = try query.name("product")
        filter.requestedBy = try query.userName("requested_by")
        filter.text = query.string("q")
        filter.beforeID = try query.id("before", what: "a deployment id (a positive whole number)")
        filter.limit = try query.int("limit", in: 1...500) ?? filter.limit
        _ = try context.signedIn()
        let records = try await engine.store.deployments(filter)
        // Deployments outside the caller's read scope are left out; the cursor still follows the store's page.
        return DeploymentList(
            deployments: records.filter(context.mayRead).map(DeploymentSummary.init),
            nextBefore: records.count == filter.limit ? records.last?.id : nil
        )
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
        let deploymentRequest = DeploymentRequest(
            operation: body.operation, selection: body.selection, parameters: body.parameters ?? [:],
            strategy: body.strategy ?? Strategy.lightningThunder.name, reason: body.reason, ticket: body.ticket,
            requestedBy: requester.name, queue: body.queue ?? false, origin: request.origin(context: context)
        )
        let access = try await engine.requiredAccess(for: deploymentRequest)
        try context.authorize(.deploy(requiredRole: access.requiredRole), places: access.places)
        let record = try await engine.create(deploymentRequest)
        return EditedResponse(status: .created, response: try await DeploymentView.detail(record.id, store: engine.store))
    }

    @Sendable func detail(_ request: Request, context: Context) async throws -> DeploymentDetail {
        _ = try QueryValues(request, allowed: [])
        let id = try deploymentID(context)
        try context.authorize(.read, on: try await Self.deployment(id, store: engine.store))
        var detail = try await DeploymentView.detail(id, store: engine.store)
        // Paused because the store refuses writes: said before the store can hold it.
        if let refusal = engine.storeRefusals.reason(for: id) {
            detail.deployment.status = .paused
            detail.deployment.statusReason = refusal
        }
        return detail
    }

    @Sendable func act(_ request: Request, context: Context) async throws -> DeploymentDetail {
        let id = try deploymentID(context)
        let name = context.parameters.get("action") ?? ""
        guard let action = OperatorAction(rawValue: name) else {
            throw APIError(.badRequest, "unknown action \(name.callerQuoted); expected one of \(OperatorAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        _ = try QueryValues(request, allowed: [])
        let body = try await request.decodeJSON(ActionBody.self, context: context, emptyMeans: ActionBody())
        let deployment = try await Self.deployment(id, store: engine.store)
        let actor = try context.authorize(action.permission(deploymentStatus: deployment.status), on: deployment)
        try await engine.perform(action, on: id, nodes: body.nodes ?? [], actor: actor.name, reason: body.reason, origin: request.origin(context: context))
        return try await DeploymentView.detail(id, store: engine.store)
    }

    @Sendable func events(_ request: Request, context: Context) async throws -> EventList {
        let id = try deploymentID(context)
        let query = try QueryValues(request, allowed: ["kind", "actor", "after", "limit"])
        try context.authorize(.read, on: try await Self.deployment(id, store: engine.store))
        return try await EventsController.read(query, deployment: id, store: engine.store)
    }
}

extension DeploymentsController {
    /// A stored deployment, or a 404.
    static func deployment(_ id: Int64, store: any DeploymentStore) async throws -> DeploymentRecord {
        guard let record = try await store.deployment(id) else { throw APIError(.notFound, "no deployment #\(id)") }
        return record
    }
}

func deploymentID(_ context: some RequestContext) throws -> Int64 {
    let raw = context.parameters.get("id") ?? ""
    guard let id = Int64(raw), id > 0 else {
        throw APIError(.badRequest, "deployment id must be a positive whole number, got \(raw.callerQuoted)")
    }
    return id
}


/// Builds the read views of a deployment from the store.
enum DeploymentView {
    static func detail(_ id: Int64, store: any DeploymentStore) async throws -> DeploymentDetail {
        guard let record = try await store.deployment(id) else { throw APIError(.notFound, "no deployment #\(id)") }
        let phases = try await store.phases(of: id)
        let targets = try await store.targets(of: id)
        var counts = StatusCounts()
        for target in targets where target.kind == (phases.last?.kind ?? .deploy) { counts.add(target.status) }
        let phaseViews = phases.map { phase in
            let state = phase.state
            var phaseCounts = StatusCounts()
            for target in targets where target.phaseIndex == phase.phaseIndex { phaseCounts.add(target.status) }
            return PhaseView(
                index: phase.phaseIndex, name: phase.name, kind: phase.kind, status: phase.status,
                gate: state.gate.description, gateOpensAt: phase.gateOpensAt, approvedBy: phase.approvedBy,
                parallelism: phase.parallelism, failureBudget: phase.failureBudget,
                batches: state.batches.map { $0.compactMap { targets.indices.contains($0) ? targets[$0].node : nil } },
                counts: phaseCounts, startedAt: phase.startedAt, finishedAt: phase.finishedAt
            )
        }
        var failures: [FailureView] = []
        for target in targets where target.failure != nil && (target.status == .failed || target.status == .interrupted) {
            guard failures.count < 20, let failure = target.failure else { continue }
            let lines = try await store.lastLogLines(of: id, target: target.targetIndex, count: 8)
            failures.append(FailureView(
                node: target.node, stage: failure.stage, step: failure.step, exitCode: failure.exitCode,
                reason: failure.reason, lastLines: lines.map { LogLineView($0, node: target.node) }
            ))
        }
        return DeploymentDetail(
            deployment: DeploymentSummary(record), phases: phaseViews, targets: targets.map(TargetView.init),
            failures: failures, counts: counts
        )
    }
}

extension LogLineView {
    init(_ record: LogLineRecord, node: String) {
        self.init(id: record.id, node: node, seq: record.seq, time: record.time, stream: record.stream, step: record.step, text: record.text)
    }
}

extension DeploymentDetail: ResponseEncodable {}
extension DeploymentList: ResponseEncodable {}
extension EventList: ResponseEncodable {}
extension LogPage: ResponseEncodable {}
extension OperationList: ResponseEncodable {}
extension StrategyList: ResponseEncodable {}
extension NodeList: ResponseEncodable {}

import Hummingbird
import WavelineCore
import WavelineEngine

/// Acting on a deployment, one path for the API (`POST /api/v1/deployments/{id}/actions/{action}`) and the
/// web page's forms (and Slack's buttons): the permission the action needs on the deployment as it stands, checked in the
/// deployment's scope, then the engine (which checks the state and four-eyes), recorded under the caller.
struct DeploymentActions: Sendable {
    let engine: Engine
    let reads: ReadSide

    /// The action named in a path, or a 400 naming the actions there are.
    static func action(named name: String) throws -> OperatorAction {
        guard let action = OperatorAction(rawValue: name) else {
            throw APIError(.badRequest, "unknown action \(name.callerQuoted); expected one of \(OperatorAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return action
    }

    /// Who took an action, and the deployment's state it was taken in (approving a `pending_approval` deployment
    /// approves the deployment; in any other state, a gate).
    struct Performed: Sendable {
        var actor: Identity
        var statusBefore: DeploymentStatus
    }

    /// The caller, when they may take `action` on deployment `id` as it stands (404, 403 otherwise): what
    /// `perform` checks first, for a page that asks before acting.
    @discardableResult
    func authorize(_ action: OperatorAction, on id: Int64, context: WavelineRequestContext) async throws -> Identity {
        try await reads.access.authorize(action, on: id, context: context).actor
    }

    /// Takes `action` on deployment `id` for the signed-in caller, from the request's origin.
    @discardableResult
    func perform(
        _ action: OperatorAction, on id: Int64, nodes: [String], reason: String?, request: Request, context: WavelineRequestContext
    ) async throws -> Performed {
        let (actor, status) = try await reads.access.authorize(action, on: id, context: context)
        try await engine.perform(action, on: id, nodes: nodes, actor: actor.name, reason: reason, origin: request.origin(context: context))
        return Performed(actor: actor, statusBefore: status)
    }

    /// The same for a caller known otherwise (a Slack account mapped to a user), from `origin`.
    func perform(_ action: OperatorAction, on id: Int64, nodes: [String], reason: String?, as actor: Identity, origin: String) async throws {
        try await reads.access.authorize(action, on: id, identity: actor)
        try await engine.perform(action, on: id, nodes: nodes, actor: actor.name, reason: reason, origin: origin)
    }
}

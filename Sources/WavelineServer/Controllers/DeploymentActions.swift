import Hummingbird
import WavelineCore
import WavelineEngine

/// Acting on a deployment, one path for the API (`POST /api/v1/deployments/{id}/actions/{action}`) and the
/// web page's forms: the permission the action needs on the deployment as it stands, checked in the
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

    /// Takes `action` on deployment `id` for the signed-in caller, from the request's origin.
    @discardableResult
    func perform(
        _ action: OperatorAction, on id: Int64, nodes: [String], reason: String?, request: Request, context: WavelineRequestContext
    ) async throws -> Performed {
        let (actor, status) = try await reads.access.authorize(action, on: id, context: context)
        try await engine.perform(action, on: id, nodes: nodes, actor: actor.name, reason: reason, origin: request.origin(context: context))
        return Performed(actor: actor, statusBefore: status)
    }
}

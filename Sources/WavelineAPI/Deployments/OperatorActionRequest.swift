import WavelineCore

/// The body of `POST /api/v1/deployments/{id}/actions/{action}`: which nodes (absent or empty: every node the
/// action applies to) and why. Who acts is who signed in.
public struct ActionBody: Codable, Sendable {
    public var nodes: [String]?
    public var reason: String?

    public init(nodes: [String]? = nil, reason: String? = nil) {
        self.nodes = nodes
        self.reason = reason
    }
}

/// An operator action on one deployment, as a client sends it: the route it posts to and the body. The answer
/// is the deployment's `DeploymentDetail` after the action.
public struct OperatorActionRequest: Sendable {
    public var deployment: Int64
    public var action: OperatorAction
    public var body: ActionBody

    public init(deployment: Int64, action: OperatorAction, nodes: [String]? = nil, reason: String? = nil) {
        self.deployment = deployment
        self.action = action
        self.body = ActionBody(nodes: nodes, reason: reason)
    }

    /// The route, under the API's base URL.
    public var path: String { "/api/v1/deployments/\(deployment)/actions/\(action.rawValue)" }
}

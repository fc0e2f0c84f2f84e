import WavelineCore

/// A request for a deployment, as a person makes it.
public struct DeploymentRequest: Sendable, Hashable, Codable {
    public var operation: String
    public var selection: Selection
    public var parameters: [String: String]
    public var strategy: String
    public var reason: String
    public var ticket: String?
    public var requestedBy: String
    /// Wait for busy nodes instead of refusing.
    public var queue: Bool
    /// Where the request came from (the client's address), for the audit trail; nil when unknown.
    public var origin: String?
    /// The ticket as Jira answered when the server checked it (its key is then `ticket`); nil when no ticket
    /// policy applied. The engine stores it with the deployment; it never asks Jira itself.
    public var checkedTicket: CheckedTicket?

    public init(
        operation: String, selection: Selection, parameters: [String: String] = [:],
        strategy: String = Strategy.lightningThunder.name, reason: String, ticket: String? = nil,
        requestedBy: String, queue: Bool = false, origin: String? = nil
    ) {
        self.origin = origin
        self.operation = operation
        self.selection = selection
        self.parameters = parameters
        self.strategy = strategy
        self.reason = reason
        self.ticket = ticket
        self.requestedBy = requestedBy
        self.queue = queue
    }
}

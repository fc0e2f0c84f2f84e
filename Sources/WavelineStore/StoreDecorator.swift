/// A store that changes or watches what is written to another store and reads through it unchanged (the
/// engine's masking store; tests' stores that hold writes back). It implements `write` only; every read and
/// `close` pass to `base`, so a read added to the store is forwarded once, here.
public protocol DeploymentStoreDecorator: DeploymentStore {
    var base: any DeploymentStore { get }
}

extension DeploymentStoreDecorator {
    public func nextDeploymentID() async throws -> Int64 { try await base.nextDeploymentID() }
    public func maxLogLineID() async throws -> Int64 { try await base.maxLogLineID() }
    public func deployment(_ id: Int64) async throws -> DeploymentRecord? { try await base.deployment(id) }
    public func deployments(_ query: DeploymentQuery) async throws -> [DeploymentRecord] { try await base.deployments(query) }
    public func unfinishedDeployments() async throws -> [DeploymentRecord] { try await base.unfinishedDeployments() }
    public func phases(of deploymentID: Int64) async throws -> [PhaseRecord] { try await base.phases(of: deploymentID) }
    public func targets(of deploymentID: Int64) async throws -> [TargetRecord] { try await base.targets(of: deploymentID) }
    public func stepRuns(of deploymentID: Int64, target: Int?) async throws -> [StepRunRecord] {
        try await base.stepRuns(of: deploymentID, target: target)
    }
    public func logLines(of deploymentID: Int64, targets: [Int]?, afterID: Int64, limit: Int) async throws -> [LogLineRecord] {
        try await base.logLines(of: deploymentID, targets: targets, afterID: afterID, limit: limit)
    }
    public func lastLogLines(of deploymentID: Int64, target: Int, count: Int) async throws -> [LogLineRecord] {
        try await base.lastLogLines(of: deploymentID, target: target, count: count)
    }
    public func overviews(of deploymentIDs: [Int64], failureLimit: Int, lastLines: Int, window: Int) async throws -> [Int64: DeploymentOverview] {
        try await base.overviews(of: deploymentIDs, failureLimit: failureLimit, lastLines: lastLines, window: window)
    }
    public func events(of deploymentID: Int64?, afterID: Int64, limit: Int) async throws -> [EventRecord] {
        try await base.events(of: deploymentID, afterID: afterID, limit: limit)
    }
    public func events(_ query: EventQuery) async throws -> [EventRecord] { try await base.events(query) }
    public func nodeStates() async throws -> [NodeStateRecord] { try await base.nodeStates() }
    public func nodeState(named node: String) async throws -> NodeStateRecord? { try await base.nodeState(named: node) }
    public func nodeHistory(node: String, limit: Int, before: NodeRunCursor?) async throws -> [NodeRunRecord] {
        try await base.nodeHistory(node: node, limit: limit, before: before)
    }
    public func auditHead() async throws -> AuditHead? { try await base.auditHead() }
    public func close() async throws { try await base.close() }
}

/// Deployments waiting for their nodes, oldest first. Each time nodes are let go, the queue is walked in order
/// and every deployment whose nodes are all free starts (a younger one may pass an older one that still waits
/// for other nodes).
public struct DeploymentQueue: Sendable, Hashable {
    public private(set) var ids: [Int64] = []

    public init() {}

    public func contains(_ id: Int64) -> Bool { ids.contains(id) }

    public mutating func append(_ id: Int64) {
        if !ids.contains(id) { ids.append(id) }
    }

    public mutating func remove(_ id: Int64) { ids.removeAll { $0 == id } }

    /// What the queue does with one of its deployments now.
    public enum Decision: Sendable, Hashable {
        /// It is no longer queued (aborted meanwhile, or gone): it leaves the queue.
        case leave
        /// Its approval expired while it waited: it leaves the queue and waits for approval again.
        case voidApproval
        /// Some of its nodes are still held.
        case wait
        /// All its nodes are free: it claims them and starts.
        case start
    }

    /// `status` as stored (nil when there is no such deployment); `approvalExpired` per `DeploymentApproval.isExpired`.
    public static func decide(status: DeploymentStatus?, approvalExpired: Bool, nodes: [String], claims: NodeClaims) -> Decision {
        guard status == .queued else { return .leave }
        if approvalExpired { return .voidApproval }
        return claims.areFree(nodes) ? .start : .wait
    }
}

/// Per-deployment turns: a command carried out without a driver (an approval, an abort while queued, a rollback
/// reopening a finished deployment), or the queue starting a deployment, reads the stored deployment, decides
/// and stores. Whoever else comes for the same deployment waits for the turn to end rather than deciding on the
/// same read (two approvals clicked at once started it twice).
public struct DeploymentTurns: Sendable, Hashable {
    private var taken: Set<Int64> = []

    public init() {}

    public func isTaken(_ id: Int64) -> Bool { taken.contains(id) }

    /// Takes the turn on `id` if it is free; false when someone has it.
    public mutating func take(_ id: Int64) -> Bool { taken.insert(id).inserted }

    public mutating func end(_ id: Int64) { taken.remove(id) }
}

/// A node held by an unfinished deployment.
public struct BusyNode: Sendable, Hashable {
    public var node: String
    public var holder: Int64

    public init(node: String, holder: Int64) {
        self.node = node
        self.holder = holder
    }
}

/// Which unfinished deployment holds which node. A node is in at most one at a time: a deployment claims its
/// nodes only when none is held (`busy(among:)` is empty), and lets go of all of them at once.
public struct NodeClaims: Sendable, Hashable {
    /// Node name → the deployment holding it.
    public private(set) var holders: [String: Int64] = [:]

    public init() {}

    public func holder(of node: String) -> Int64? { holders[node] }

    /// The held ones of `nodes`, in their order.
    public func busy(among nodes: [String]) -> [BusyNode] {
        nodes.compactMap { node in holders[node].map { BusyNode(node: node, holder: $0) } }
    }

    public func areFree(_ nodes: [String]) -> Bool { nodes.allSatisfy { holders[$0] == nil } }

    /// The deployments holding any of `nodes`.
    public func holders(among nodes: [String]) -> Set<Int64> { Set(nodes.compactMap { holders[$0] }) }

    /// Marks `nodes` held by `deployment`. Callers check they are free first, in the same turn.
    public mutating func claim(_ nodes: [String], for deployment: Int64) {
        for node in nodes { holders[node] = deployment }
    }

    /// Lets go of every node `deployment` holds.
    public mutating func release(_ deployment: Int64) {
        holders = holders.filter { $0.value != deployment }
    }
}

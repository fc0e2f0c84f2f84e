/// Which nodes a deployment touches. Criteria of different kinds must all hold; names within one kind are
/// alternatives (`environments: [dev, prod]` means either).
public struct Selection: Sendable, Hashable, Codable {
    public var clusters: [String]
    public var environments: [String]
    public var products: [String]
    /// Every label given must be on the node with that value.
    public var labels: [String: String]
    public var nodes: [String]

    public init(
        clusters: [String] = [], environments: [String] = [], products: [String] = [],
        labels: [String: String] = [:], nodes: [String] = []
    ) {
        self.clusters = clusters
        self.environments = environments
        self.products = products
        self.labels = labels
        self.nodes = nodes
    }

    /// Every criterion is optional in JSON: `{"nodes": ["n1"]}` is a whole selection.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        clusters = try container.decodeIfPresent([String].self, forKey: .clusters) ?? []
        environments = try container.decodeIfPresent([String].self, forKey: .environments) ?? []
        products = try container.decodeIfPresent([String].self, forKey: .products) ?? []
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        nodes = try container.decodeIfPresent([String].self, forKey: .nodes) ?? []
    }

    public var isEmpty: Bool {
        clusters.isEmpty && environments.isEmpty && products.isEmpty && labels.isEmpty && nodes.isEmpty
    }

    /// A short human form, e.g. `product=kafka env=prod`, for listings.
    public var summary: String {
        var parts: [String] = []
        if !clusters.isEmpty { parts.append("cluster=" + clusters.joined(separator: ",")) }
        if !environments.isEmpty { parts.append("env=" + environments.joined(separator: ",")) }
        if !products.isEmpty { parts.append("product=" + products.joined(separator: ",")) }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { parts.append("\(key)=\(value)") }
        if !nodes.isEmpty { parts.append("node=" + nodes.joined(separator: ",")) }
        return parts.joined(separator: " ")
    }
}

/// A selection that cannot be planned, with the name that is wrong.
public struct SelectionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Inventory {
    /// The nodes a selection names, in inventory order. Unknown names are errors rather than silently
    /// matching nothing, because a typo in a cluster name must not turn into "0 nodes deployed, success".
    public func select(_ selection: Selection) throws(SelectionError) -> [Node] {
        guard !selection.isEmpty else {
            throw SelectionError("the selection is empty: name at least one cluster, environment, product, label or node")
        }
        func check(_ names: [String], known: [String], kind: String) throws(SelectionError) {
            let knownSet = Set(known)
            for name in names where !knownSet.contains(name) {
                throw SelectionError("unknown \(kind) \(name.callerQuoted); known: \(known.joined(separator: ", "))")
            }
        }
        try check(selection.clusters, known: clusters.map(\.name), kind: "cluster")
        try check(selection.environments, known: environments.map(\.name), kind: "environment")
        try check(selection.products, known: products.map(\.name), kind: "product")
        let allNodes = nodes
        let knownNodes = Set(allNodes.map(\.name))
        for name in selection.nodes where !knownNodes.contains(name) {
            throw SelectionError("unknown node \(name.callerQuoted)")
        }
        let chosen = clusters.filter { cluster in
            (selection.clusters.isEmpty || selection.clusters.contains(cluster.name))
                && (selection.environments.isEmpty || selection.environments.contains(cluster.environment))
                && (selection.products.isEmpty || selection.products.contains(cluster.product))
        }.flatMap(\.nodes).filter { node in
            (selection.nodes.isEmpty || selection.nodes.contains(node.name))
                && selection.labels.allSatisfy { node.labels[$0.key] == $0.value }
        }
        guard !chosen.isEmpty else {
            throw SelectionError("no node matches the selection \(selection.summary)")
        }
        return chosen
    }
}

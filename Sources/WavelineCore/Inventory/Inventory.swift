/// Everything Waveline may act on: the promotion chain of environments, the products, and their clusters and nodes.
public struct Inventory: Sendable, Hashable, Codable {
    /// In promotion order (test → dev → prod): the order the files declare them in.
    public var environments: [Environment]
    public var products: [Product]
    public var clusters: [Cluster]

    public init(environments: [Environment] = [], products: [Product] = [], clusters: [Cluster] = []) {
        self.environments = environments
        self.products = products
        self.clusters = clusters
    }

    public var nodes: [Node] { clusters.flatMap(\.nodes) }

    public func environment(named name: String) -> Environment? { environments.first { $0.name == name } }
    public func product(named name: String) -> Product? { products.first { $0.name == name } }
    public func cluster(named name: String) -> Cluster? { clusters.first { $0.name == name } }
    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }
}

public struct Environment: Sendable, Hashable, Codable {
    public var name: String
    /// A protected environment needs a ticket and a second person's approval before a change starts.
    public var protected: Bool
    /// Exported to every step run in this environment.
    public var variables: [String: String]
    /// Exported to every step run in this environment, read by the server when a step starts; masked.
    public var secrets: [String: SecretReference]?

    public init(name: String, protected: Bool = false, variables: [String: String] = [:]) {
        self.name = name
        self.protected = protected
        self.variables = variables
    }
}

public struct Product: Sendable, Hashable, Codable {
    public var name: String
    public var owner: String
    public var maturity: Maturity?

    public init(name: String, owner: String, maturity: Maturity? = nil) {
        self.name = name
        self.owner = owner
        self.maturity = maturity
    }

    public struct Maturity: Sendable, Hashable, Codable {
        public var level: Int
        /// The date (YYYY-MM-DD) by which the product should reach its next level.
        public var targetDate: String?

        public init(level: Int, targetDate: String? = nil) {
            self.level = level
            self.targetDate = targetDate
        }
    }
}

/// One product in one environment.
public struct Cluster: Sendable, Hashable, Codable {
    public var name: String
    public var product: String
    public var environment: String
    /// Availability zones in the order a deployment walks them.
    public var zones: [String]
    public var variables: [String: String]
    /// Secrets of every node of the cluster (see `SecretReference`).
    public var secrets: [String: SecretReference]?
    public var nodes: [Node]

    public init(
        name: String, product: String, environment: String, zones: [String],
        variables: [String: String] = [:], nodes: [Node] = []
    ) {
        self.name = name
        self.product = product
        self.environment = environment
        self.zones = zones
        self.variables = variables
        self.nodes = nodes
    }
}

/// One instance of a product, and how to reach it.
public struct Node: Sendable, Hashable, Codable {
    public var name: String
    /// The cluster it belongs to; filled in from the enclosing cluster when read from a file.
    public var cluster: String
    public var zone: String
    public var labels: [String: String]
    public var variables: [String: String]
    public var connection: Connection
    /// Where the server reads this node's secrets (names and sources only, never values: it is stored with
    /// each run). A deployment stores the merged environment → cluster → node references here.
    public var secrets: [String: SecretReference]?

    public init(
        name: String, cluster: String, zone: String, labels: [String: String] = [:],
        variables: [String: String] = [:], connection: Connection = .local(LocalConnection())
    ) {
        self.name = name
        self.cluster = cluster
        self.zone = zone
        self.labels = labels
        self.variables = variables
        self.connection = connection
    }
}

/// How Waveline reaches a node: a directory on the server's machine, or a host over SSH.
public enum Connection: Sendable, Hashable, Codable {
    case local(LocalConnection)
    case ssh(SSHConnection)
}

/// A node that is a directory on this machine: its steps run as local processes with that directory as
/// their working directory.
public struct LocalConnection: Sendable, Hashable, Codable {
    /// Absolute, or relative to the server's data directory; `nil` means `<data>/nodes/<node name>`.
    public var directory: String?

    public init(directory: String? = nil) { self.directory = directory }
}

/// Reads inventory files (environments, products, clusters and their nodes) into one `Inventory`.
///
/// Several files, or every `*.yaml`/`*.yml` file of a directory, merge into one inventory: environments keep
/// the order the files declare them in (the promotion chain), and names must be unique across all files.
/// Every problem in every file is reported at once, each with its file, line and column.
public enum InventoryLoader {
    /// Reads and merges the inventory at `paths`, each a YAML file or a directory of them (sorted by name,
    /// not recursive).
    ///
    /// - Throws: `DiagnosticsError` with every problem found, sorted by file, line and column.
    public static func load(paths: [String]) throws -> Inventory {
        let collector = DiagnosticCollector()
        let inventory = read(paths: paths, into: collector)
        try collector.throwIfAny()
        return inventory
    }

    /// Every problem in the inventory at `paths`, sorted by file, line and column; empty when it is valid.
    public static func validate(paths: [String]) -> [Diagnostic] {
        let collector = DiagnosticCollector()
        _ = read(paths: paths, into: collector)
        return collector.sorted
    }

    static func read(paths: [String], into collector: DiagnosticCollector) -> Inventory {
        if paths.isEmpty {
            collector.error("no inventory file or directory was given", at: nil)
        }
        var files: [String] = []
        for path in paths {
            if YAMLFile.isDirectory(path) {
                guard let found = YAMLFile.files(inDirectory: path, into: collector) else { continue }
                if found.isEmpty {
                    collector.error("directory '\(path)' holds no .yaml or .yml file", at: nil)
                }
                files += found
            } else {
                files.append(path)
            }
        }
        var seen = Set<String>()
        let drafts = files.filter { seen.insert($0).inserted }.compactMap { file in
            YAMLFile.root(of: file, into: collector).map(InventoryFileReader.read)
        }
        return InventoryFileReader.merge(drafts, into: collector)
    }
}

/// One inventory file as read, with the locations that the checks across files need.
struct InventoryDraft {
    struct ClusterDraft {
        var cluster: Cluster
        /// Of the cluster's mapping, for "first defined at".
        var location: SourceLocation
        var product: LocatedValue<String>?
        var environment: LocatedValue<String>?
        /// Of each node's mapping, parallel to `cluster.nodes`.
        var nodeLocations: [SourceLocation]
    }

    var environments: [LocatedValue<Environment>] = []
    var products: [LocatedValue<Product>] = []
    var clusters: [ClusterDraft] = []
}

enum InventoryFileReader {
    static func read(_ root: YAMLValue) -> InventoryDraft {
        var draft = InventoryDraft()
        guard let file = root.mapping("the inventory file", allowed: ["environments", "products", "clusters"]) else {
            return draft
        }
        draft.environments = (file.list("environments") ?? []).compactMap(environment)
        draft.products = (file.list("products") ?? []).compactMap(product)
        draft.clusters = (file.list("clusters") ?? []).compactMap(cluster)
        return draft
    }

    // MARK: Entries

    static func environment(_ value: YAMLValue) -> LocatedValue<Environment>? {
        guard let m = value.mapping(kind: "environment", allowed: ["name", "protected", "variables", "secrets"]) else {
            return nil
        }
        let name = m.name(kind: "environment")
        let protected = m.bool("protected") ?? false
        let variables = m.stringMap("variables", checkName: ValueSyntax.variableNameProblem) ?? [:]
        let secrets = secretMap(m)
        guard let name else { return nil }
        var environment = Environment(name: name.value, protected: protected, variables: variables)
        environment.secrets = secrets
        return LocatedValue(value: environment, location: m.location)
    }

    static func product(_ value: YAMLValue) -> LocatedValue<Product>? {
        guard let m = value.mapping(kind: "product", allowed: ["name", "owner", "maturity"]) else { return nil }
        let name = m.name(kind: "product")
        let owner = m.string("owner", required: true)
        var maturity: Product.Maturity?
        if let maturityValue = m["maturity"],
           let mm = maturityValue.mapping("the maturity of \(m.subject)", allowed: ["level", "target_date"]) {
            let level = mm.int("level", required: true)
            if let level, level.value < 0 {
                mm.collector.error("'level' must be zero or more, got '\(level.value)'", at: level.location)
            }
            let targetDate = mm.parsed("target_date", ValueSyntax.date)
            maturity = level.map { Product.Maturity(level: $0.value, targetDate: targetDate?.value) }
        }
        guard let name, let owner else { return nil }
        return LocatedValue(value: Product(name: name.value, owner: owner.value, maturity: maturity), location: m.location)
    }

    static func cluster(_ value: YAMLValue) -> InventoryDraft.ClusterDraft? {
        let keys = ["name", "product", "environment", "zones", "variables", "secrets", "connection", "nodes"]
        guard let m = value.mapping(kind: "cluster", allowed: keys) else { return nil }
        let name = m.name(kind: "cluster")
        let product = m.string("product", required: true)
        let environment = m.string("environment", required: true)
        let zones = clusterZones(m)
        let variables = m.stringMap("variables", checkName: ValueSyntax.variableNameProblem) ?? [:]
        let secrets = secretMap(m)
        let connection = m["connection"].flatMap {
            ConnectionReader.draft($0, subject: "the connection of \(m.subject)", inheritedType: nil)
        }

        var nodes: [Node] = []
        var nodeLocations: [SourceLocation] = []
        for item in m.list("nodes") ?? [] {
            guard let node = node(item, cluster: name?.value, clusterSubject: m.subject, zones: zones,
                                  defaultConnection: connection) else { continue }
            nodes.append(node.value)
            nodeLocations.append(node.location)
        }
        guard let name else { return nil }
        var cluster = Cluster(name: name.value, product: product?.value ?? "", environment: environment?.value ?? "",
                              zones: zones ?? [], variables: variables, nodes: nodes)
        cluster.secrets = secrets
        return InventoryDraft.ClusterDraft(
            cluster: cluster,
            location: m.location, product: product, environment: environment, nodeLocations: nodeLocations
        )
    }

    /// At least one zone, none twice; nil when the zones could not be read.
    private static func clusterZones(_ m: YAMLMapping) -> [String]? {
        guard let value = m.required("zones"), let zones = value.stringList("zones") else { return nil }
        if zones.isEmpty {
            value.error("\(m.subject) has no zones; list at least one availability zone in 'zones'")
        }
        var seen = Set<String>()
        for zone in zones where !seen.insert(zone.value).inserted {
            m.collector.error("\(m.subject) lists zone '\(zone.value)' more than once", at: zone.location)
        }
        return zones.map(\.value)
    }

    static func node(
        _ value: YAMLValue, cluster: String?, clusterSubject: String, zones: [String]?, defaultConnection: ConnectionDraft?
    ) -> LocatedValue<Node>? {
        guard let m = value.mapping(kind: "node", allowed: ["name", "zone", "labels", "variables", "secrets", "connection"]) else {
            return nil
        }
        let name = m.name(kind: "node")
        let zone = m.string("zone", required: true)
        if let zone, let zones, !zones.isEmpty, !zones.contains(zone.value) {
            m.collector.error(
                "\(m.subject) is in zone '\(zone.value)', which \(clusterSubject) does not have "
                    + "(zones: \(zones.listedForMessage))",
                at: zone.location)
        }
        let labels = m.stringMap("labels", checkName: ValueSyntax.labelNameProblem) ?? [:]
        let variables = m.stringMap("variables", checkName: ValueSyntax.variableNameProblem) ?? [:]
        let secrets = secretMap(m)
        let ownValue = m["connection"]
        let own = ownValue.flatMap {
            ConnectionReader.draft($0, subject: "the connection of \(m.subject)", inheritedType: defaultConnection?.type)
        }
        let connection = ConnectionReader.resolve(
            own: own, cluster: defaultConnection, nodeSubject: m.subject,
            at: ownValue?.location ?? m.location, collector: m.collector)
        guard let name else { return nil }
        var node = Node(
            name: name.value, cluster: cluster ?? "", zone: zone?.value ?? "", labels: labels, variables: variables,
            connection: connection ?? .local(LocalConnection())
        )
        node.secrets = secrets
        return LocatedValue(value: node, location: m.location)
    }

    /// `secrets:` — variable names to `env:NAME` or `file:/path` (where the server reads the value); nil when
    /// absent. Values never appear in the inventory.
    static func secretMap(_ m: YAMLMapping) -> [String: SecretReference]? {
        guard let texts = m.stringMap("secrets", checkName: ValueSyntax.variableNameProblem) else { return nil }
        var secrets: [String: SecretReference] = [:]
        for (name, text) in texts.sorted(by: { $0.key < $1.key }) {
            guard let reference = SecretReference(parsing: text) else {
                m["secrets"]?.error("secret '\(name)' of \(m.subject) must say where the server reads it: 'env:VARIABLE' or 'file:/path' (the value itself never goes in the inventory, so it is not repeated here)")
                continue
            }
            secrets[name] = reference
        }
        return secrets
    }

    // MARK: Across files

    /// Merges the files in order, reporting names defined twice and references to nothing.
    static func merge(_ drafts: [InventoryDraft], into collector: DiagnosticCollector) -> Inventory {
        var inventory = Inventory()
        var firstEnvironment: [String: SourceLocation] = [:]
        var firstProduct: [String: SourceLocation] = [:]
        var firstCluster: [String: SourceLocation] = [:]
        var firstNode: [String: SourceLocation] = [:]

        func isFirst(_ kind: String, _ name: String, at location: SourceLocation,
                     in firsts: inout [String: SourceLocation]) -> Bool {
            if let first = firsts[name] {
                collector.error("duplicate \(kind) '\(name)' (first defined at \(first))", at: location)
                return false
            }
            firsts[name] = location
            return true
        }

        for draft in drafts {
            for environment in draft.environments
            where isFirst("environment", environment.value.name, at: environment.location, in: &firstEnvironment) {
                inventory.environments.append(environment.value)
            }
            for product in draft.products
            where isFirst("product", product.value.name, at: product.location, in: &firstProduct) {
                inventory.products.append(product.value)
            }
        }
        let environmentNames = inventory.environments.map(\.name)
        let productNames = inventory.products.map(\.name)
        for draft in drafts {
            for cluster in draft.clusters {
                let subject = "cluster '\(cluster.cluster.name)'"
                if let environment = cluster.environment, !environmentNames.contains(environment.value) {
                    collector.error(
                        "\(subject) refers to environment '\(environment.value)', which is not defined; "
                            + "known environments: \(environmentNames.listedForMessage)",
                        at: environment.location)
                }
                if let product = cluster.product, !productNames.contains(product.value) {
                    collector.error(
                        "\(subject) refers to product '\(product.value)', which is not defined; "
                            + "known products: \(productNames.listedForMessage)",
                        at: product.location)
                }
                var kept = cluster.cluster
                kept.nodes = []
                for (node, location) in zip(cluster.cluster.nodes, cluster.nodeLocations)
                where isFirst("node", node.name, at: location, in: &firstNode) {
                    kept.nodes.append(node)
                }
                if isFirst("cluster", cluster.cluster.name, at: cluster.location, in: &firstCluster) {
                    inventory.clusters.append(kept)
                }
            }
        }
        return inventory
    }
}

extension YAMLMapping {
    /// The required `name` of a named thing, checked against the naming rule.
    func name(kind: String) -> LocatedValue<String>? {
        guard let name = string("name", required: true) else { return nil }
        if let problem = ValueSyntax.nameProblem(name.value, kind: kind) {
            collector.error(problem, at: name.location)
        }
        return name
    }
}

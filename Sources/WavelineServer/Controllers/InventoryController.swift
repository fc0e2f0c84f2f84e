import Hummingbird
import WavelineAPI
import WavelineCore
import WavelineEngine

/// `/api/v1/clusters`, `/nodes`, `/nodes/:name`: the inventory with what Waveline last put on each node, the
/// deployment holding it now, and a node's history.
struct InventoryController {
    typealias Context = WavelineRequestContext
    let engine: Engine
    let reads: ReadSide

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("clusters", use: clusters)
        group.get("nodes", use: nodes)
        group.get("nodes/:name", use: node)
    }

    @Sendable func clusters(_ request: Request, context: Context) async throws -> ClusterList {
        let query = try QueryValues(request, allowed: ["environment", "product"])
        let inventory = await engine.workspace.inventory
        let selected = try Self.clusters(of: inventory, query: query).filter { context.mayRead(environment: $0.environment, product: $0.product) }
        let lookup = try await Lookup(engine: engine, reads: reads)
        return ClusterList(clusters: selected.map { cluster in
            ClusterView(
                name: cluster.name, product: cluster.product, environment: cluster.environment, zones: cluster.zones,
                nodes: cluster.nodes.map { lookup.view($0, in: cluster) }
            )
        })
    }

    @Sendable func nodes(_ request: Request, context: Context) async throws -> NodeList {
        let query = try QueryValues(request, allowed: ["environment", "product", "cluster"])
        let inventory = await engine.workspace.inventory
        var selected = try Self.clusters(of: inventory, query: query).filter { context.mayRead(environment: $0.environment, product: $0.product) }
        if let name = try query.name("cluster") {
            guard inventory.cluster(named: name) != nil else {
                throw APIError(.unprocessableContent, "query 'cluster': no cluster \(name.callerQuoted) in the inventory; it has: \(inventory.clusters.map(\.name).sorted().joined(separator: ", "))")
            }
            selected = selected.filter { $0.name == name }
        }
        let lookup = try await Lookup(engine: engine, reads: reads)
        return NodeList(nodes: selected.flatMap { cluster in cluster.nodes.map { lookup.view($0, in: cluster) } })
    }

    @Sendable func node(_ request: Request, context: Context) async throws -> NodeDetail {
        let query = try QueryValues(request, allowed: ["limit", "before"])
        let name = context.parameters.get("name") ?? ""
        let inventory = await engine.workspace.inventory
        guard let cluster = inventory.clusters.first(where: { $0.nodes.contains { $0.name == name } }),
              let node = cluster.nodes.first(where: { $0.name == name }) else {
            throw APIError(.notFound, "no node \(name.callerQuoted) in the inventory")
        }
        try context.authorize(.read, places: [RequiredAccess.Place(environment: cluster.environment, product: cluster.product)])
        let limit = try query.int("limit", in: 1...500) ?? 50
        let history = try await reads.inventory.history(of: name, limit: limit, before: query.string("before")) { raw in
            APIError(.badRequest, "query 'before' must be a history cursor such as '12' or '12-3' (a deployment id, then a run index), got \(raw.callerQuoted)")
        }
        let busy = await engine.busyNodes()
        return NodeDetail(
            node: Self.view(node, in: cluster, busyWith: busy[name], state: history.state),
            history: history.runs, nextBefore: history.nextBefore
        )
    }

    /// Clusters matching the environment and product filters; a name the inventory lacks is a 400.
    static func clusters(of inventory: Inventory, query: QueryValues) throws(APIError) -> [Cluster] {
        var clusters = inventory.clusters
        if let environment = try query.name("environment") {
            guard inventory.environment(named: environment) != nil else {
                throw APIError(.unprocessableContent, "query 'environment': no environment \(environment.callerQuoted) in the inventory; it has: \(inventory.environments.map(\.name).joined(separator: ", "))")
            }
            clusters = clusters.filter { $0.environment == environment }
        }
        if let product = try query.name("product") {
            guard inventory.product(named: product) != nil else {
                throw APIError(.unprocessableContent, "query 'product': no product \(product.callerQuoted) in the inventory; it has: \(inventory.products.map(\.name).sorted().joined(separator: ", "))")
            }
            clusters = clusters.filter { $0.product == product }
        }
        return clusters
    }

    static func view(_ node: Node, in cluster: Cluster, busyWith: Int64?, state: NodeStateView?) -> NodeView {
        NodeView(
            name: node.name, cluster: cluster.name, environment: cluster.environment, product: cluster.product,
            zone: node.zone, labels: node.labels, busyWith: busyWith, state: state
        )
    }

    /// Busy nodes and node states, read once per request (one query for every node's state).
    struct Lookup {
        var busy: [String: Int64]
        var states: [String: NodeStateView]

        init(engine: Engine, reads: ReadSide) async throws {
            busy = await engine.busyNodes()
            states = try await reads.inventory.states()
        }

        func view(_ node: Node, in cluster: Cluster) -> NodeView {
            InventoryController.view(node, in: cluster, busyWith: busy[node.name], state: states[node.name])
        }
    }
}

extension ClusterList: ResponseEncodable {}
extension NodeDetail: ResponseEncodable {}

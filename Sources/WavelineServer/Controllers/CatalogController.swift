import Hummingbird
import WavelineCore
import WavelineEngine

/// `/api/v1/operations`, `/strategies`, `/nodes`: what deployments can be made of.
struct CatalogController<Context: RequestContext> {
    let engine: Engine

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("operations") { _, _ in OperationList(operations: await engine.workspace.operations) }
        group.get("strategies") { _, _ in StrategyList(strategies: await engine.workspace.strategies) }
        group.get("nodes", use: nodes)
        group.get("health") { _, _ in ["status": "ok"] }
    }

    @Sendable func nodes(_ request: Request, context: Context) async throws -> NodeList {
        let inventory = await engine.workspace.inventory
        let busy = await engine.busyNodes()
        let environment = request.uri.queryParameters["environment"].map(String.init)
        let product = request.uri.queryParameters["product"].map(String.init)
        var views: [NodeView] = []
        for cluster in inventory.clusters {
            if let environment, cluster.environment != environment { continue }
            if let product, cluster.product != product { continue }
            for node in cluster.nodes {
                views.append(NodeView(
                    name: node.name, cluster: cluster.name, environment: cluster.environment, product: cluster.product,
                    zone: node.zone, labels: node.labels, busyWith: busy[node.name]
                ))
            }
        }
        return NodeList(nodes: views)
    }
}

import Hummingbird
import WavelineAPI
import WavelineCore
import WavelineEngine

/// `/api/v1/operations`, `/strategies`: what deployments can be made of; `/health`.
struct CatalogController {
    typealias Context = WavelineRequestContext
    let engine: Engine

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("operations") { request, _ in
            _ = try QueryValues(request, allowed: [])
            return OperationList(operations: await engine.workspace.operations.map(OperationView.init))
        }
        group.get("strategies") { request, _ in
            _ = try QueryValues(request, allowed: [])
            return StrategyList(strategies: await engine.workspace.strategies.map(StrategyView.init))
        }
    }

    /// Open to anyone: load balancers and monitors ask without credentials.
    func addPublicRoutes(to group: RouterGroup<Context>) {
        group.get("health") { request, _ in
            _ = try QueryValues(request, allowed: [])
            return ["status": "ok"]
        }
    }
}

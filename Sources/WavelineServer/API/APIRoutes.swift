import Hummingbird
import Logging
import NIOCore
import Synchronization
import WavelineAPI
import WavelineEngine

extension WavelineServerBuilder {
    /// The router with every API route under `/api/v1`, behind the middleware that answers every error in the
    /// API's one JSON shape. The server builds its router here and the contract test compares this router's
    /// routes (`router.routes`) with the OpenAPI document, so the two cannot drift apart unnoticed.
    ///
    /// Every answer carries the security headers (`SecurityHeadersMiddleware`). Every request is authenticated first (an API token, else a browser session); API routes other than
    /// health, the contract, signing in and making a first token then need an identity.
    public static func makeRouter(
        engine: Engine, reads: ReadSide, identities: IdentityService, logger: Logger, secureCookies: Bool = true,
        trustedProxies: TrustedProxies = .none, tickets: TicketGate? = nil
    ) -> Router<WavelineRequestContext> {
        let actions = DeploymentActions(engine: engine, reads: reads)
        let router = Router(context: WavelineRequestContext.self)
        let table = RouteTable()
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: TrustedProxyMiddleware(proxies: trustedProxies))
        router.add(middleware: JSONErrorMiddleware(logger: logger, routes: table))
        router.add(middleware: BearerTokenAuthenticator(identities: identities))
        router.add(middleware: SessionAuthenticator(identities: identities))
        let open = router.group("api/v1")
        let api = router.group("api/v1").add(middleware: RequireIdentityMiddleware())
        let catalog = CatalogController(engine: engine)
        let session = SessionController(identities: identities, secureCookies: secureCookies)
        let tokens = TokensController(identities: identities)
        catalog.addPublicRoutes(to: open)
        session.addPublicRoutes(to: open)
        tokens.addPublicRoutes(to: open)
        DeploymentsController(engine: engine, reads: reads, actions: actions, tickets: tickets).addRoutes(to: api)
        LogsController(engine: engine, reads: reads, identities: identities).addRoutes(to: api)
        catalog.addRoutes(to: api)
        InventoryController(engine: engine, reads: reads).addRoutes(to: api)
        EventsController(reads: reads).addRoutes(to: api)
        AuditController(reads: reads).addRoutes(to: api)
        session.addRoutes(to: api)
        tokens.addRoutes(to: api)
        UsersController(identities: identities, engine: engine).addRoutes(to: api)
        open.get("openapi.yaml") { request, _ in
            _ = try QueryValues(request, allowed: [])
            return Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml))
            )
        }
        table.load(router.routes.map { (method: $0.method.rawValue, path: $0.path.description) })
        return router
    }
}

/// The API's routes as templates (`/api/v1/deployments/{id}`), to tell a wrong method on a known path (405,
/// with `Allow`) from an unknown path (404). Filled once the routes are registered; read on errors only.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: String, components: [Substring])]>([])

    func load(_ list: [(method: String, path: String)]) {
        let parsed = list.map { (method: $0.method, components: $0.path.split(separator: "/")) }
        routes.withLock { $0 = parsed }
    }

    /// Methods the API serves on `path`, sorted; empty when no route has that path.
    func methods(for path: String) -> [String] {
        let components = path.split(separator: "/")
        let matching = routes.withLock { routes in
            routes.filter { Self.matches($0.components, components) }.map(\.method)
        }
        return Set(matching).sorted()
    }

    private static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        if template.last == "**" { return path.count >= template.count - 1 && zip(template.dropLast(), path).allSatisfy(matches) }
        return template.count == path.count && zip(template, path).allSatisfy(matches)
    }

    private static func matches(_ template: Substring, _ component: Substring) -> Bool {
        // Captures read `{id}` (Hummingbird's description of `:id`), also inside a component (`{name}.yaml`).
        template.contains("{") || template == "*" || template == component
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import WavelineAPI
import WavelineCore
import WavelineEngine

/// The web UI: server-rendered pages, the forms that act on deployments, the assets, and `/ui/events`, the
/// server-sent events that tell open pages a deployment changed (they then fetch their live region again).
///
/// Errors are answered as HTML pages here (the API's JSON error middleware never sees them).
struct WebController {
    typealias Context = WavelineRequestContext
    let engine: Engine
    let reads: ReadSide
    let actions: DeploymentActions
    let identities: IdentityService
    let logger: Logger
    let secureCookies: Bool
    /// "Now" on the pages (elapsed times).
    let time: any TimeSource
    /// The summary's live region, rendered once per store change rather than per request.
    let summaryCache = SummaryCache()

    /// Requests carrying this header get only the page's live region, for the script to swap in.
    static var fragmentHeader: HTTPField.Name { HTTPField.Name("X-Waveline-Fragment")! }

    func addRoutes(to router: Router<Context>) {
        router.get("/", use: summary)
        router.get("deployments/:id", use: deployment)
        router.get("deployments/:id/nodes/:node", use: nodeLog)
        router.post("deployments/:id/actions/:action", use: act)
        router.get("inventory", use: inventory)
        router.get("inventory/nodes/:node", use: inventoryNode)
        router.get("login", use: signInPage)
        router.post("login", use: signIn)
        router.post("logout", use: signOut)
        router.get("audit", use: audit)
        router.get("ui/events", use: events)
        router.get("ui/assets/:file", use: asset)
    }

    // MARK: - Pages

    @Sendable func summary(_ request: Request, context: Context) async throws -> Response {
        await page(request, context) { viewer in
            let query = request.uri.queryParameters
            let filters = SummaryPage.Filters(
                environment: query["environment"].map(String.init), product: query["product"].map(String.init),
                state: query["state"].map(String.init), person: query["person"].map(String.init)
            )
            let page = try await SummaryPage.load(engine: engine, reads: reads, filters: filters, viewer: viewer, cache: summaryCache, now: time.now())
            return isFragment(request) ? page.renderLive() : page.render(viewer: viewer)
        }
    }

    @Sendable func deployment(_ request: Request, context: Context) async throws -> Response {
        await page(request, context) { viewer in
            let id = try Self.id(context)
            let page = try await DeploymentPage.load(reads: reads, id: id, context: context, now: time.now())
            return isFragment(request) ? page.renderLive(viewer: viewer) : page.render(viewer: viewer)
        }
    }

    @Sendable func nodeLog(_ request: Request, context: Context) async throws -> Response {
        await page(request, context) { viewer in
            let node = Self.parameter("node", context)
            let query = request.uri.queryParameters["q"].map(String.init)
            return try await NodeLogPage.load(reads: reads, id: try Self.id(context), node: node, query: query, context: context, now: time.now())
                .render(viewer: viewer)
        }
    }

    @Sendable func inventory(_ request: Request, context: Context) async throws -> Response {
        await page(request, context) { viewer in
            try await InventoryPage.load(engine: engine, reads: reads, visible: { context.mayRead(environment: $0.environment, product: $0.product) }).render(viewer: viewer)
        }
    }

    @Sendable func inventoryNode(_ request: Request, context: Context) async throws -> Response {
        await page(request, context) { viewer in
            let before = request.uri.queryParameters["before"].map(String.init)
            let page = try await InventoryNodePage.load(engine: engine, reads: reads, node: Self.parameter("node", context), before: before)
            if let cluster = page.cluster {
                try context.authorize(.read, places: [RequiredAccess.Place(environment: cluster.environment, product: cluster.product)])
            }
            return page.render(viewer: viewer)
        }
    }

    // MARK: - Forms

    /// An operator action from a page: checked like the API (CSRF token, permission in the deployment's scope),
    /// recorded under the signed-in person, then back to the page with what happened. Abort and Roll back act only
    /// with `confirmed=yes`; without it the answer is the confirmation page, and nothing changes.
    @Sendable func act(_ request: Request, context: Context) async throws -> Response {
        let form = try await Self.form(request)
        let back = WebResponse.safeReturn(form["return"]?.first ?? "/")
        guard let identity = context.identity else { return Self.toSignIn(from: back) }
        do {
            try Self.checkCSRF(form, identity)
            let id = try Self.id(context)
            let action = try DeploymentActions.action(named: Self.parameter("action", context))
            let nodes = (form["node"] ?? []).filter { !$0.isEmpty }
            let reason = form["reason"]?.first.flatMap { $0.isEmpty ? nil : $0 }
            if ActionConfirmationPage.asks(action), form[ActionConfirmationPage.confirmedField]?.first != "yes" {
                let page = try await ActionConfirmationPage.load(
                    reads: reads, actions: actions, action: action, id: id, nodes: nodes, reason: reason, context: context
                )
                // Its forms come back to the page the action was asked from.
                return WebResponse.html(page.render(viewer: Viewer(identity: identity, location: back)))
            }
            let performed = try await actions.perform(action, on: id, nodes: nodes, reason: reason ?? "from the web page", request: request, context: context)
            return WebResponse.redirect(to: back, flash: Self.done(action, nodes: nodes, on: id, before: performed.statusBefore, as: identity.name))
        } catch {
            return WebResponse.redirect(to: back, flash: message(error), isError: true)
        }
    }

    // MARK: - Signing in

    @Sendable func signInPage(_ request: Request, context: Context) async throws -> Response {
        let next = WebResponse.safeReturn(request.uri.queryParameters["next"].map(String.init) ?? "/")
        if context.identity != nil { return WebResponse.redirect(to: next) }
        return WebResponse.html(SignInPage.render(next: next, user: "", problem: nil, viewer: Viewer(request, identity: nil)))
    }

    /// The sign-in form. No session exists yet to carry a CSRF token, so a cross-site post is refused by its
    /// `Origin` (browsers send it with every form post); the session cookie itself is SameSite=Strict.
    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        let form = try await Self.form(request)
        let next = WebResponse.safeReturn(form["next"]?.first ?? "/")
        let user = (form["user"]?.first ?? "").trimmingCharacters(in: .whitespaces)
        let viewer = Viewer(request, identity: nil)
        guard Self.isSameOrigin(request) else {
            return WebResponse.html(SignInPage.render(next: next, user: user, problem: "This sign-in came from another site and was refused.", viewer: viewer), status: .forbidden)
        }
        do {
            let record = try await identities.verify(user: user, password: form["password"]?.first ?? "", origin: request.origin(context: context))
            let session = try await identities.startSession(for: record, origin: request.origin(context: context))
            var response = WebResponse.redirect(to: next, flash: "Signed in as \(user).")
            response.setCookie(SessionController.cookie(session.cookie, maxAge: Int(identities.sessionLifetime), secure: secureCookies))
            return response
        } catch let error as APIError {
            var response = WebResponse.html(SignInPage.render(next: next, user: user, problem: error.message, viewer: viewer), status: error.status)
            if let retry = error.headers[.retryAfter] { response.headers[.retryAfter] = retry }
            return response
        }
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        let form = try await Self.form(request)
        guard let identity = context.identity else { return Self.toSignIn(from: "/") }
        do {
            try Self.checkCSRF(form, identity)
        } catch {
            return WebResponse.redirect(to: WebResponse.safeReturn(form["return"]?.first ?? "/"), flash: message(error), isError: true)
        }
        try await identities.endSession(identity, origin: request.origin(context: context))
        var response = WebResponse.redirect(to: "/login", flash: "Signed out.")
        response.setCookie(SessionController.cookie("", maxAge: 0, secure: secureCookies))
        return response
    }

    // MARK: - Audit

    @Sendable func audit(_ request: Request, context: Context) async throws -> Response {
        await page(request, context) { viewer in
            let query = request.uri.queryParameters
            let filters = AuditPage.Filters(
                actor: query["actor"].map(String.init), kind: query["kind"].map(String.init),
                deployment: query["deployment"].map(String.init), before: query["before"].map(String.init),
                verify: query["verify"] == "1"
            )
            return try await AuditPage.load(reads: reads, filters: filters, context: context).render(viewer: viewer)
        }
    }

    // MARK: - Live

    /// `event: change` each time a deployment (or any, without `?deployment=`) changes state or a node enters or
    /// leaves a step. The state itself is read again by the page, so a reconnect (the script refetches on every
    /// open) can miss nothing.
    @Sendable func events(_ request: Request, context: Context) async throws -> Response {
        let identity = try context.signedIn()
        var deploymentID: Int64?
        if let raw = request.uri.queryParameters["deployment"] {
            guard let value = Int64(raw), value > 0 else { throw APIError(.badRequest, "query 'deployment' must be a deployment id, got \(raw.callerQuoted)") }
            deploymentID = value
        }
        if let deploymentID {
            try await reads.access.authorizeRead(deploymentID, context: context)
        }
        let updates = engine.feed.subscribe(deploymentID: deploymentID)
        let reads = reads
        let watch = LiveWatch(context: context, accounts: identities)
        let body = ResponseBody { writer in
            var visible = ReadableDeployments(identity: identity, reads: reads)
            try await watch.timed { try await writer.write(ServerSentEvent.retry(milliseconds: 1000, comment: "listening")) }
            try await withLiveRelay(updates, limit: engine.feed.bufferLimit, watch: watch) { events in
                var sequence = 0
                for await event in events {
                    let changed: Int64?
                    switch event {
                    case .update(.deploymentChanged(let id)): changed = id
                    case .update(.logLines(let lines)):
                        // Step boundaries (system lines) move a node's current step.
                        changed = ReadableDeployments.movingStep(lines)
                    case .heartbeat:
                        try await watch.timed { try await writer.write(ServerSentEvent.heartbeat) }
                        continue
                    }
                    guard let changed, try await visible.contains(changed) else { continue }
                    sequence += 1
                    let change = ServerSentEvent(event: "change", id: String(sequence), data: "{\"deployment\":\(changed)}")
                    try await watch.timed { try await writer.write(change.bytes) }
                }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }

    @Sendable func asset(_ request: Request, context: Context) async throws -> Response {
        let file = Self.parameter("file", context)
        guard let asset = Assets.named(file) else {
            return WebResponse.html(ErrorPage.render(status: .notFound, message: "no asset '\(file)'", viewer: Viewer(request, identity: context.identity)), status: .notFound)
        }
        return Response(
            status: .ok,
            headers: [.contentType: asset.contentType, .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text))
        )
    }

    // MARK: - Helpers

    private func isFragment(_ request: Request) -> Bool { request.headers[Self.fragmentHeader] != nil }

    /// Renders a page for a signed-in person (others are sent to sign in), answering failures as an HTML page
    /// with the status they deserve; a message from the last action is shown once, then cleared.
    private func page(_ request: Request, _ context: Context, _ render: (Viewer) async throws -> HTML) async -> Response {
        guard let identity = context.identity else {
            // A live region asking for its update after the session ended: the script reloads into sign-in.
            if isFragment(request) { return Response(status: .unauthorized) }
            return Self.toSignIn(from: request.uri.description)
        }
        let viewer = Viewer(request, identity: identity)
        do {
            var response = WebResponse.html(try await render(viewer))
            if viewer.flash != nil && !isFragment(request) {
                response.setCookie(Cookie(name: Viewer.flashCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax))
            }
            return response
        } catch {
            let status: HTTPResponse.Status
            switch error {
            case let error as APIError: status = error.status
            case let error as EngineError: status = APIError(error).status
            default: status = .internalServerError
            }
            return WebResponse.html(ErrorPage.render(status: status, message: message(error), viewer: viewer), status: status)
        }
    }

    /// What a person is told about a failure: the API's or engine's message, or a pointer to the log for
    /// anything unexpected. Not masked, as in the API: it quotes what the caller sent as sent.
    func message(_ error: any Error) -> String {
        switch error {
        case let error as APIError: return error.message
        case let error as EngineError: return error.message
        default:
            logger.error("web page failed", metadata: ["error": "\(String(reflecting: error))"])
            return "internal error; the server log has the details"
        }
    }

    static func id(_ context: Context) throws -> Int64 { try deploymentID(context) }

    static func toSignIn(from location: String) -> Response {
        let next = location.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"
        return WebResponse.redirect(to: location == "/" ? "/login" : "/login?next=\(next)")
    }

    static func checkCSRF(_ form: [String: [String]], _ identity: Identity) throws {
        guard let expected = identity.csrfToken else { return }
        guard let sent = form[Forms.csrfField]?.first, constantTimeEquals(sent, expected) else {
            throw APIError(.forbidden, "This form is out of date or came from another site (its CSRF token is missing or wrong); reload the page and try again.")
        }
    }

    /// Whether a form post came from a page of this server: its `Origin` (or, without one, its `Referer`)
    /// names the host it was sent to.
    static func isSameOrigin(_ request: Request) -> Bool {
        guard let host = request.head.authority else { return false }
        let source = request.headers[.origin] ?? request.headers[.referer]
        guard let source, source != "null" else { return request.headers[.origin] == nil }
        guard let url = URL(string: source), let sourceHost = url.host else { return false }
        return (url.port.map { "\(sourceHost):\($0)" } ?? sourceHost) == host
    }

    /// A path parameter, percent-decoded.
    static func parameter(_ name: String, _ context: Context) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// An `application/x-www-form-urlencoded` body: every value of each field, in order.
    static func form(_ request: Request) async throws -> [String: [String]] {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        let text = String(buffer: buffer)
        var fields: [String: [String]] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            fields[name, default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
        return fields
    }

    /// What an action did, said after it: "Approved the deployment #3, as vera." for a deployment waiting for its
    /// approval, "Approved the gate on deployment #3, …" for a phase's gate.
    static func done(_ action: OperatorAction, nodes: [String], on id: Int64, before status: DeploymentStatus, as actor: String) -> String {
        let what = nodes.isEmpty ? "" : " " + nodes.joined(separator: ", ")
        if action == .approve && status == .pendingApproval { return "Approved the deployment #\(id), as \(actor)." }
        return "\(pastTense(action))\(what) on deployment #\(id), as \(actor)."
    }

    static func pastTense(_ action: OperatorAction) -> String {
        switch action {
        case .pause: return "Paused"
        case .resume: return "Resumed"
        case .abort: return "Aborted"
        case .retry: return "Retried"
        case .skip: return "Skipped"
        case .approve: return "Approved the gate"
        case .rollback: return "Started the rollback"
        }
    }
}

/// A page for a request that could not be answered: what was wrong, and the way back.
enum ErrorPage {
    static func render(status: HTTPResponse.Status, message: String, viewer: Viewer) -> HTML {
        Layout.page(title: "\(status.code) \(status.reasonPhrase)", viewer: viewer, current: "", body: """
            <h1>\(status.code) \(status.reasonPhrase)</h1>
            <p class="flash flash-error" role="alert">\(message)</p>
            <p><a href="/">Back to the deployments</a></p>
            """)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import WavelineCore
import WavelineEngine
import WavelineStore

/// The web UI: server-rendered pages, the forms that act on deployments, the assets, and `/ui/events`, the
/// server-sent events that tell open pages a deployment changed (they then fetch their live region again).
///
/// Errors are answered as HTML pages here (the API's JSON error middleware never sees them).
struct WebController<Context: RequestContext> {
    let engine: Engine
    let logger: Logger
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
        router.post("ui/identity", use: identity)
        router.get("ui/events", use: events)
        router.get("ui/assets/:file", use: asset)
    }

    // MARK: - Pages

    @Sendable func summary(_ request: Request, context: Context) async throws -> Response {
        await page(request) { viewer in
            let query = request.uri.queryParameters
            let filters = SummaryPage.Filters(
                environment: query["environment"].map(String.init), product: query["product"].map(String.init),
                state: query["state"].map(String.init), person: query["person"].map(String.init)
            )
            let page = try await SummaryPage.load(engine: engine, filters: filters, cache: summaryCache)
            return isFragment(request) ? page.renderLive() : page.render(viewer: viewer)
        }
    }

    @Sendable func deployment(_ request: Request, context: Context) async throws -> Response {
        await page(request) { viewer in
            let page = try await DeploymentPage.load(engine: engine, id: try Self.id(context))
            return isFragment(request) ? page.renderLive(viewer: viewer) : page.render(viewer: viewer)
        }
    }

    @Sendable func nodeLog(_ request: Request, context: Context) async throws -> Response {
        await page(request) { viewer in
            let node = Self.parameter("node", context)
            let query = request.uri.queryParameters["q"].map(String.init)
            return try await NodeLogPage.load(engine: engine, id: try Self.id(context), node: node, query: query).render(viewer: viewer)
        }
    }

    @Sendable func inventory(_ request: Request, context: Context) async throws -> Response {
        await page(request) { viewer in
            try await InventoryPage.load(engine: engine).render(viewer: viewer)
        }
    }

    @Sendable func inventoryNode(_ request: Request, context: Context) async throws -> Response {
        await page(request) { viewer in
            let before = request.uri.queryParameters["before"].map(String.init)
            return try await InventoryNodePage.load(engine: engine, node: Self.parameter("node", context), before: before).render(viewer: viewer)
        }
    }

    // MARK: - Forms

    /// An operator action from a page: recorded under the viewer's name, then back to the page with what happened.
    @Sendable func act(_ request: Request, context: Context) async throws -> Response {
        let viewer = Viewer(request)
        let form = try await Self.form(request)
        let back = form["return"]?.first ?? "/"
        do {
            let id = try Self.id(context)
            let name = Self.parameter("action", context)
            guard let action = OperatorAction(rawValue: name) else {
                throw APIError(.badRequest, "unknown action '\(name)'")
            }
            let nodes = (form["node"] ?? []).filter { !$0.isEmpty }
            let reason = form["reason"]?.first.flatMap { $0.isEmpty ? nil : $0 }
            try await engine.perform(action, on: id, nodes: nodes, actor: viewer.name, reason: reason ?? "from the web page")
            let what = nodes.isEmpty ? "" : " " + nodes.joined(separator: ", ")
            return WebResponse.redirect(to: back, flash: "\(Self.pastTense(action))\(what) on deployment #\(id), as \(viewer.name).")
        } catch {
            return WebResponse.redirect(to: back, flash: Self.message(error, logger: logger), isError: true)
        }
    }

    /// Remembers the name this browser acts under (until sign-in arrives).
    @Sendable func identity(_ request: Request, context: Context) async throws -> Response {
        let form = try await Self.form(request)
        let name = (form["name"]?.first ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let back = form["return"]?.first ?? "/"
        guard name.count <= 64, !name.contains(where: { $0.isNewline || $0.isASCII && $0.asciiValue! < 32 }) else {
            return WebResponse.redirect(to: back, flash: "A name has at most 64 characters on one line.", isError: true)
        }
        var response = WebResponse.redirect(
            to: back, flash: name.isEmpty ? "Actions are now recorded as web." : "Actions are now recorded as \(name)."
        )
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        response.setCookie(Cookie(name: Viewer.userCookie, value: encoded, maxAge: name.isEmpty ? 0 : 60 * 60 * 24 * 365, path: "/", httpOnly: true, sameSite: .lax))
        return response
    }

    // MARK: - Live

    /// `event: change` each time a deployment (or any, without `?deployment=`) changes state or a node enters or
    /// leaves a step. The state itself is read again by the page, so a reconnect (the script refetches on every
    /// open) can miss nothing.
    @Sendable func events(_ request: Request, context: Context) async throws -> Response {
        var deploymentID: Int64?
        if let raw = request.uri.queryParameters["deployment"] {
            guard let value = Int64(raw), value > 0 else { throw APIError(.badRequest, "query 'deployment' must be a deployment id, got '\(raw)'") }
            deploymentID = value
        }
        let updates = engine.feed.subscribe(deploymentID: deploymentID)
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 1000\n: listening\n\n"))
            try await withLiveRelay(updates) { events in
                var sequence = 0
                for await event in events {
                    let changed: Int64?
                    switch event {
                    case .update(.deploymentChanged(let id)): changed = id
                    case .update(.logLines(let lines)):
                        // Step boundaries (system lines) move a node's current step.
                        changed = lines.first { $0.stream == "system" }?.deploymentId
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                        continue
                    }
                    guard let changed else { continue }
                    sequence += 1
                    try await writer.write(ByteBuffer(string: "event: change\nid: \(sequence)\ndata: {\"deployment\":\(changed)}\n\n"))
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
            return WebResponse.html(ErrorPage.render(status: .notFound, message: "no asset '\(file)'", viewer: Viewer(request)), status: .notFound)
        }
        return Response(
            status: .ok,
            headers: [.contentType: asset.contentType, .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text))
        )
    }

    // MARK: - Helpers

    private func isFragment(_ request: Request) -> Bool { request.headers[Self.fragmentHeader] != nil }

    /// Renders a page, answering failures as an HTML page with the status they deserve; a message from the last
    /// action is shown once, then cleared.
    private func page(_ request: Request, _ render: (Viewer) async throws -> HTML) async -> Response {
        let viewer = Viewer(request)
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
            return WebResponse.html(ErrorPage.render(status: status, message: Self.message(error, logger: logger), viewer: viewer), status: status)
        }
    }

    static func message(_ error: any Error, logger: Logger) -> String {
        switch error {
        case let error as APIError: return error.message
        case let error as EngineError: return error.message
        default:
            logger.error("web page failed", metadata: ["error": "\(String(reflecting: error))"])
            return "internal error; the server log has the details"
        }
    }

    static func id(_ context: Context) throws -> Int64 { try deploymentID(context) }

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

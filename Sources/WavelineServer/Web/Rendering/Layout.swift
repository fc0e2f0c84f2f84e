import Foundation
import Hummingbird
import NIOCore
import WavelineCore
import WavelineEngine

/// What every page needs to know about who is looking: the signed-in person (and what they may do), a
/// message left by the previous action, and where the page is (so forms can come back to it).
struct Viewer: Sendable {
    /// Nil on the sign-in page only: every other page needs a signed-in person.
    var identity: Identity?
    /// A message from the last action (one request only), and whether it reports a refusal.
    var flash: String?
    var flashIsError: Bool
    /// Path and query of the page being rendered.
    var location: String

    static let flashCookie = "waveline_flash"

    var name: String { identity?.name ?? "" }

    init(identity: Identity?, flash: String? = nil, flashIsError: Bool = false, location: String = "/") {
        self.identity = identity
        self.flash = flash
        self.flashIsError = flashIsError
        self.location = location
    }

    init(_ request: Request, identity: Identity?) {
        var flash: String?
        var isError = false
        if let raw = request.cookies[Self.flashCookie]?.value.removingPercentEncoding, !raw.isEmpty {
            isError = raw.hasPrefix("!")
            flash = isError ? String(raw.dropFirst()) : raw
        }
        self.init(identity: identity, flash: flash, flashIsError: isError, location: request.uri.description)
    }

    /// Whether the permission table lets the viewer do `action` on every environment/product pair given.
    func may(_ action: Action, environments: [String], products: [String]) -> Bool {
        let places = environments.flatMap { environment in products.map { RequiredAccess.Place(environment: environment, product: $0) } }
        return identity?.may(action, places: places) ?? false
    }

    /// Whether the viewer may do an installation-wide action (read the audit trail).
    func may(_ action: Action) -> Bool { identity?.may(action) ?? false }
}

/// The page frame: head, skip link, navigation, who is acting, the message of the last action, and the content.
enum Layout {
    static func page(title: String, viewer: Viewer, current: String, body: HTML) -> HTML {
        var links = [("/", "Deployments"), ("/inventory", "Inventory")]
        if viewer.may(.readAudit) { links.append(("/audit", "Audit")) }
        let nav: [HTML] = links.map { href, label in
            let isCurrent = current == href
            return "<li><a href=\"\(href)\"\(isCurrent ? HTML(unsafeMarkup: " aria-current=\"page\"") : .empty)>\(label)</a></li>"
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Waveline</title>
            <link rel="stylesheet" href="/ui/assets/waveline.css">
            <script src="/ui/assets/waveline.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top">
            <a class="brand" href="/">Waveline</a>
            <nav aria-label="Main"><ul>\(nav)</ul></nav>
            \(Forms.signedIn(viewer))
            </header>
            \(flash(viewer))
            <main id="main" tabindex="-1">
            \(body)
            </main>
            </body>
            </html>
            """
    }

    static func flash(_ viewer: Viewer) -> HTML {
        guard let message = viewer.flash else { return .empty }
        if viewer.flashIsError {
            return "<p class=\"flash flash-error\" id=\"flash\" role=\"alert\">\(message)</p>"
        }
        return "<p class=\"flash\" id=\"flash\" role=\"status\">\(message)</p>"
    }
}

/// Every form that changes something is built here: POST, carrying the session's CSRF token, which
/// `WebController` checks before acting.
enum Forms {
    static let csrfField = "csrf"

    /// Hidden fields every state-changing form carries: where to come back to, and the CSRF token.
    static func protectionFields(_ viewer: Viewer) -> HTML {
        let token: HTML = viewer.identity?.csrfToken.map { "<input type=\"hidden\" name=\"\(csrfField)\" value=\"\($0)\">" } ?? .empty
        return "<input type=\"hidden\" name=\"return\" value=\"\(viewer.location)\">\(token)"
    }

    /// Who is signed in, and the way out.
    static func signedIn(_ viewer: Viewer) -> HTML {
        guard let identity = viewer.identity else { return .empty }
        let roles = identity.grants.isEmpty ? "no roles" : identity.grants.map(\.description).joined(separator: "; ")
        let signOut: HTML = identity.csrfToken == nil ? .empty : """
            <form class="identity" method="post" action="/logout">\(protectionFields(viewer))<button type="submit" class="button secondary">Sign out</button></form>
            """
        return "<p class=\"signed-in\">Signed in as <strong id=\"signed-in-user\">\(identity.name)</strong> <span class=\"muted\">(\(roles))</span></p>\(signOut)"
    }

    /// One operator action on a deployment as a button; `nodes` narrows it (retry or skip one node). The form is
    /// keyed by its button's id, so a live update keeps it (and the focus on its button) in place. For an action
    /// that asks first (`confirm`), the script asks in a dialog and then sends `confirmed=yes`; without the
    /// script the server answers with a confirmation page.
    static func action(
        _ action: String, deployment: Int64, nodes: [String] = [], label: String, viewer: Viewer,
        style: String = "secondary", confirm: String? = nil, id: String? = nil
    ) -> HTML {
        let nodeFields: [HTML] = nodes.map { "<input type=\"hidden\" name=\"node\" value=\"\($0)\">" }
        let confirmAttribute: HTML = confirm.map { "data-confirm=\"\($0)\"" } ?? .empty
        let buttonID = id ?? "action-\(action)" + (nodes.isEmpty ? "" : "-" + nodes.joined(separator: "-"))
        return """
            <form class="action" method="post" action="/deployments/\(deployment)/actions/\(action)" data-key="form-\(buttonID)" \(confirmAttribute)>\
            \(protectionFields(viewer))\(nodeFields)\
            <button type="submit" class="button \(style)" id="\(buttonID)">\(label)</button>\
            </form>
            """
    }
}

/// HTML responses: never cached (they show live state), typed as UTF-8 HTML.
enum WebResponse {
    static func html(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .init("Vary")!: "X-Waveline-Fragment",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html.description))
        )
    }

    /// After a POST: back to a page of this site (never elsewhere), with a one-request message.
    static func redirect(to location: String, flash: String? = nil, isError: Bool = false) -> Response {
        var response = Response(status: .seeOther, headers: [.location: safeReturn(location), .cacheControl: "no-store"])
        if let flash {
            let value = (isError ? "!" : "") + flash
            let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            response.setCookie(Cookie(name: Viewer.flashCookie, value: encoded, maxAge: 60, path: "/", httpOnly: true, sameSite: .lax))
        }
        return response
    }

    /// A path on this server only: anything else becomes `/`. Browsers forgive a lot in a `Location` (they drop
    /// tabs and line breaks, read `\` as `/`, and a value reaches here percent-decoded once already), so the
    /// rule is an allow-list: the value is printable ASCII with no backslash or space, one leading `/` not
    /// followed by `/` or `\` (so no scheme or host), and so is its path each time it is percent-decoded.
    /// `/%09/evil.example`, `//evil`, `/\evil`, `https:…` and their encodings all come back `/`.
    static func safeReturn(_ location: String) -> String {
        guard isLocalPath(location) else { return "/" }
        var path = String(location.prefix { $0 != "?" && $0 != "#" })
        for _ in 0..<4 {
            guard let decoded = path.removingPercentEncoding, isLocalPath(decoded) else { return "/" }
            if decoded == path { return location }
            path = decoded
        }
        return "/"
    }

    private static func isLocalPath(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count > 1, bytes[1] == UInt8(ascii: "/") || bytes[1] == UInt8(ascii: "\\") { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }
    }
}

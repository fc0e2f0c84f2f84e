import Foundation
import Hummingbird
import NIOCore

/// What every page needs to know about who is looking: the name actions are attributed to, a message left by
/// the previous action, and where the page is (so forms can come back to it).
///
/// Identity is a name the person typed once (a cookie) until sessions arrive; `Forms` is the one place that
/// builds action forms, so adding a CSRF token later is one hidden field there and one check in `WebController`.
struct Viewer: Sendable {
    /// The name actions are recorded under; "web" until the person gives one.
    var name: String
    var hasChosenName: Bool
    /// A message from the last action (one request only), and whether it reports a refusal.
    var flash: String?
    var flashIsError: Bool
    /// Path and query of the page being rendered.
    var location: String

    static let userCookie = "waveline_user"
    static let flashCookie = "waveline_flash"

    init(name: String? = nil, flash: String? = nil, flashIsError: Bool = false, location: String = "/") {
        let trimmed = name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        self.name = trimmed.isEmpty ? "web" : trimmed
        self.hasChosenName = !trimmed.isEmpty
        self.flash = flash
        self.flashIsError = flashIsError
        self.location = location
    }

    init(_ request: Request) {
        let name = request.cookies[Self.userCookie].map { $0.value.removingPercentEncoding ?? $0.value }
        var flash: String?
        var isError = false
        if let raw = request.cookies[Self.flashCookie]?.value.removingPercentEncoding, !raw.isEmpty {
            isError = raw.hasPrefix("!")
            flash = isError ? String(raw.dropFirst()) : raw
        }
        self.init(name: name, flash: flash, flashIsError: isError, location: request.uri.description)
    }
}

/// The page frame: head, skip link, navigation, who is acting, the message of the last action, and the content.
enum Layout {
    static func page(title: String, viewer: Viewer, current: String, body: HTML) -> HTML {
        let nav: [HTML] = [("/", "Deployments"), ("/inventory", "Inventory")].map { href, label in
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
            \(Forms.identity(viewer))
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
            return "<p class=\"flash flash-error\" role=\"alert\">\(message)</p>"
        }
        return "<p class=\"flash\" role=\"status\">\(message)</p>"
    }
}

/// Every form that changes something is built here: POST, with the fields a later CSRF check will need added
/// in `protectionFields` only.
enum Forms {
    /// Hidden fields every state-changing form carries: where to come back to (and, later, the CSRF token).
    static func protectionFields(_ viewer: Viewer) -> HTML {
        "<input type=\"hidden\" name=\"return\" value=\"\(viewer.location)\">"
    }

    /// "Acting as NAME": the name actions from this browser are recorded under.
    static func identity(_ viewer: Viewer) -> HTML {
        """
        <form class="identity" method="post" action="/ui/identity">
        \(protectionFields(viewer))
        <label for="identity-name">Acting as</label>
        <input id="identity-name" name="name" type="text" value="\(viewer.hasChosenName ? viewer.name : "")" placeholder="web" autocomplete="username" maxlength="64" size="12">
        <button type="submit">Save name</button>
        </form>
        """
    }

    /// One operator action on a deployment as a button; `nodes` narrows it (retry or skip one node).
    static func action(
        _ action: String, deployment: Int64, nodes: [String] = [], label: String, viewer: Viewer,
        style: String = "secondary", confirm: String? = nil, id: String? = nil
    ) -> HTML {
        let nodeFields: [HTML] = nodes.map { "<input type=\"hidden\" name=\"node\" value=\"\($0)\">" }
        let confirmAttribute: HTML = confirm.map { "data-confirm=\"\($0)\"" } ?? .empty
        let buttonID = id ?? "action-\(action)" + (nodes.isEmpty ? "" : "-" + nodes.joined(separator: "-"))
        return """
            <form class="action" method="post" action="/deployments/\(deployment)/actions/\(action)" \(confirmAttribute)>\
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
    static func redirect(to location: String, flash: String?, isError: Bool = false) -> Response {
        var response = Response(status: .seeOther, headers: [.location: safeReturn(location), .cacheControl: "no-store"])
        if let flash {
            let value = (isError ? "!" : "") + flash
            let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            response.setCookie(Cookie(name: Viewer.flashCookie, value: encoded, maxAge: 60, path: "/", httpOnly: true, sameSite: .lax))
        }
        return response
    }

    /// A local path only: anything else (another host, `//evil`, a scheme) becomes `/`.
    static func safeReturn(_ location: String) -> String {
        guard location.hasPrefix("/"), !location.hasPrefix("//"), !location.hasPrefix("/\\"),
              !location.contains(where: { $0.isNewline }) else { return "/" }
        return location
    }
}

import HTTPTypes
import Hummingbird
import HummingbirdAuth
import WavelineCore

/// The browser session cookie: HttpOnly (scripts never read it), Secure, SameSite=Strict.
enum SessionCookie {
    static let name = "waveline_session"
}

/// Routes that answer anyone and read no credential: a load balancer's health check or a client fetching the
/// contract must not fail because the token it happens to send has expired. Slack's Request URL is
/// authenticated by Slack's signature on each request instead (`SlackInteractionsController`), never by a
/// session or token. Exact paths only.
enum CredentialFreeRoutes {
    static let paths: Set<String> = ["/api/v1/health", "/api/v1/openapi.yaml", SlackInteractionsController.path]

    static func contains(_ request: Request) -> Bool { paths.contains(request.uri.path) }
}

/// `Authorization: Bearer <token>`: the CLI's and automation's way in. A token that is unknown, expired or
/// revoked is refused here with the reason, rather than treated as no credential at all.
struct BearerTokenAuthenticator: AuthenticatorMiddleware {
    typealias Context = WavelineRequestContext
    let identities: IdentityService

    func authenticate(request: Request, context: Context) async throws -> Identity? {
        guard !CredentialFreeRoutes.contains(request), let bearer = request.headers.bearer else { return nil }
        return try await identities.identity(token: bearer.token)
    }
}

/// The session cookie of a signed-in browser. An expired or unknown session is no credential: the browser is
/// sent to sign in again.
struct SessionAuthenticator: AuthenticatorMiddleware {
    typealias Context = WavelineRequestContext
    let identities: IdentityService

    func authenticate(request: Request, context: Context) async throws -> Identity? {
        guard context.identity == nil, !CredentialFreeRoutes.contains(request), let cookie = request.cookies[SessionCookie.name], !cookie.value.isEmpty else { return nil }
        return try await identities.identity(sessionID: cookie.value)
    }
}

/// API routes behind this need an identity; a browser session must also send its CSRF token
/// (`X-CSRF-Token`) with every request that changes something, so another site cannot make the browser act.
struct RequireIdentityMiddleware: RouterMiddleware {
    typealias Context = WavelineRequestContext
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try Self.checkCSRF(request, try context.signedIn())
        return try await next(request, context)
    }

    static func checkCSRF(_ request: Request, _ identity: Identity) throws {
        guard let expected = identity.csrfToken, ![.get, .head, .options].contains(request.method) else { return }
        guard let sent = request.headers[csrfHeader], constantTimeEquals(sent, expected) else {
            throw APIError(.forbidden, "missing or wrong CSRF token: a browser session must send its token in the X-CSRF-Token header with every \(request.method.rawValue)")
        }
    }
}

/// Compares secrets without an early exit, so the time taken does not say how much matched.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for index in x.indices { difference |= x[index] ^ y[index] }
    return difference == 0
}

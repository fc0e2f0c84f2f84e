import Foundation
import HTTPTypes
import Hummingbird
import WavelineAPI
import WavelineCore

/// `/api/v1/session` (sign in and out with a password; for scripts in a browser) and `/api/v1/me`.
struct SessionController {
    typealias Context = WavelineRequestContext
    let identities: IdentityService
    let secureCookies: Bool

    /// Routes open to anyone (signing in).
    func addPublicRoutes(to group: RouterGroup<Context>) {
        group.post("session", use: signIn)
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.delete("session", use: signOut)
        group.get("me", use: me)
    }

    @Sendable func signIn(_ request: Request, context: Context) async throws -> Response {
        _ = try QueryValues(request, allowed: [])
        let body = try await request.decodeJSON(SignInBody.self, context: context)
        let origin = request.origin(context: context)
        let user = try await identities.verify(user: body.user, password: body.password, origin: origin)
        let session = try await identities.startSession(for: user, origin: origin)
        let view = SessionView(user: user.name, grants: user.grants.map(GrantBody.init), credential: "session", tokenName: nil, csrfToken: session.csrfToken)
        var response = try EditedResponse(status: .ok, response: view).response(from: request, context: context)
        response.setCookie(Self.cookie(session.cookie, maxAge: Int(identities.sessionLifetime), secure: secureCookies))
        return response
    }

    @Sendable func signOut(_ request: Request, context: Context) async throws -> Response {
        _ = try QueryValues(request, allowed: [])
        try await identities.endSession(try context.signedIn(), origin: request.origin(context: context))
        var response = Response(status: .noContent)
        response.setCookie(Self.cookie("", maxAge: 0, secure: secureCookies))
        return response
    }

    @Sendable func me(_ request: Request, context: Context) async throws -> SessionView {
        _ = try QueryValues(request, allowed: [])
        let identity = try context.signedIn()
        var tokenName: String?
        if case .token(_, let name) = identity.credential { tokenName = name }
        return SessionView(user: identity.name, grants: identity.grants.map(GrantBody.init),
                           credential: tokenName == nil ? "session" : "token", tokenName: tokenName, csrfToken: identity.csrfToken)
    }

    /// The session cookie: HttpOnly, SameSite=Strict, and Secure unless the server was told it is reached over
    /// plain HTTP from another machine (browsers keep Secure cookies over HTTP only for localhost).
    static func cookie(_ value: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(name: SessionCookie.name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}

extension SessionView: ResponseEncodable {}

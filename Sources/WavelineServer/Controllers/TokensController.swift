import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import WavelineAPI
import WavelineCore

/// `/api/v1/tokens`: named API tokens with an expiry, shown once, revocable. `POST` also takes a user name and
/// password (HTTP Basic) instead of a token: that is how `waveline login` gets its first token.
struct TokensController {
    typealias Context = WavelineRequestContext
    let identities: IdentityService

    func addPublicRoutes(to group: RouterGroup<Context>) {
        group.post("tokens", use: create)
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("tokens", use: list)
        group.delete("tokens/:tokenID", use: revoke)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> EditedResponse<CreatedToken> {
        _ = try QueryValues(request, allowed: [])
        let origin = request.origin(context: context)
        var context = context
        var verified: VerifiedUser?
        if context.identity == nil {
            guard let basic = request.headers.basic else {
                throw APIError(.unauthorized, "sign in first: send your user name and password (HTTP Basic) or an API token (Bearer) to make a token")
            }
            let user = try await identities.verify(user: basic.username, password: basic.password, origin: origin)
            verified = user
            context.identity = Identity(name: user.name, grants: user.grants, credential: .token(id: "", name: "password"))
        } else if let identity = context.identity {
            try RequireIdentityMiddleware.checkCSRF(request, identity)
        }
        let body = try await request.decodeJSON(CreateTokenBody.self, context: context)
        let caller = try context.signedIn()
        let owner = body.user ?? caller.name
        try context.authorize(owner == caller.name ? .manageOwnTokens : .manageTokens)
        // A token never makes one that outlives it: taking the first back (revoked, or left to expire) must not
        // leave a longer-lived copy behind. Without an asked lifetime the new one ends with it.
        var notAfter: Double?
        if case .token = caller.credential, let expiry = caller.expiresAt {
            notAfter = expiry
            // A lifetime outside 1…366 days is malformed (400, from createToken), whatever the token's own.
            if let days = body.expiresInDays, (1...IdentityService.maximumTokenLifetimeDays).contains(days),
               identities.time.now() + Double(days) * 86400 > expiry + 60 {
                let most = Int((expiry - identities.time.now()) / 86400)
                throw APIError(.unprocessableContent, "field 'expiresInDays': a token cannot make one that outlives it; this token expires at \(IdentityService.timestamp(expiry)), so ask for at most \(most) days (or none: it then ends with this one), or sign in with a password for a longer one")
            }
        }
        let made = try await identities.createToken(
            for: owner, name: body.name, lifetimeDays: body.expiresInDays ?? IdentityService.defaultTokenLifetimeDays, by: caller.name, origin: origin,
            signedInWith: verified, notAfter: notAfter
        )
        return EditedResponse(status: .created, response: CreatedToken(token: made.token, details: made.details))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> TokenList {
        let query = try QueryValues(request, allowed: ["user"])
        let caller = try context.signedIn()
        // `?user=NAME` for one user's, `?user=*` for everyone's; default: one's own.
        let user = try query.userName("user", orEveryone: true) ?? caller.name
        try context.authorize(user == caller.name ? .manageOwnTokens : .manageTokens)
        let tokens = try await identities.tokens(ofUser: user == "*" ? nil : user)
        return TokenList(tokens: tokens)
    }

    @Sendable func revoke(_ request: Request, context: Context) async throws -> TokenView {
        _ = try QueryValues(request, allowed: [])
        let caller = try context.signedIn()
        let id = context.parameters.get("tokenID") ?? ""
        guard let token = try await identities.token(id: id) else { throw APIError(.notFound, "no API token with id \(id.callerQuoted)") }
        try context.authorize(token.user == caller.name ? .manageOwnTokens : .manageTokens)
        return try await identities.revokeToken(id: token.id, by: caller.name, origin: request.origin(context: context))
    }
}

extension CreatedToken: ResponseEncodable {}
extension TokenList: ResponseEncodable {}
extension TokenView: ResponseEncodable {}

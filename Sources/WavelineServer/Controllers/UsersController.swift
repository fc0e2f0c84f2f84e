import Foundation
import HTTPTypes
import Hummingbird
import WavelineAPI
import WavelineCore
import WavelineEngine

/// `/api/v1/users`: admins create users, set their grants and passwords, and remove them. Everyone may read
/// themselves and change their own password.
struct UsersController {
    typealias Context = WavelineRequestContext
    let identities: IdentityService
    /// Grants are checked against its inventory: each environment and product they name must exist.
    let engine: Engine

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("users", use: list)
        group.post("users", use: create)
        group.get("users/:name", use: detail)
        group.patch("users/:name", use: update)
        group.delete("users/:name", use: remove)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> UserList {
        _ = try QueryValues(request, allowed: [])
        try context.authorize(.manageUsers)
        return UserList(users: try await identities.users())
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> EditedResponse<UserView> {
        _ = try QueryValues(request, allowed: [])
        let caller = try context.authorize(.manageUsers)
        let body = try await request.decodeJSON(CreateUserBody.self, context: context)
        try await checkScopes(of: body.grants.map(\.grant))
        let user = try await identities.createUser(
            name: body.name, password: body.password, grants: try GrantBody.grants(body.grants), slackUserId: body.slackUserId, by: caller.name,
            origin: request.origin(context: context)
        )
        return EditedResponse(status: .created, response: user)
    }

    @Sendable func detail(_ request: Request, context: Context) async throws -> UserView {
        _ = try QueryValues(request, allowed: [])
        let user = try await identities.user(named: context.parameters.get("name") ?? "")
        if user.name != context.identity?.name { try context.authorize(.manageUsers) }
        return user
    }

    /// Grants: admins only. Password: admins for anyone, everyone for themselves with their current one. The
    /// answer's `note` says what a new password did: every browser session of the user ended (and with them
    /// their open live streams), their API tokens revoked (`revokeTokens`) or still working.
    @Sendable func update(_ request: Request, context: Context) async throws -> UserView {
        _ = try QueryValues(request, allowed: [])
        let caller = try context.signedIn()
        let body = try await request.decodeJSON(UpdateUserBody.self, context: context)
        let name = context.parameters.get("name") ?? ""
        let origin = request.origin(context: context)
        // Who one's Slack presses act as is an admin's call, as grants are: a mapping is a way to act.
        if body.grants != nil || body.slackUserId != nil || name != caller.name { try context.authorize(.manageUsers) }
        if let grants = body.grants { try await checkScopes(of: grants.map(\.grant)) }
        if body.password != nil && name == caller.name {
            try await identities.verifyCurrentPassword(ofUserNamed: name, body.currentPassword, origin: origin)
        }
        let change = try await identities.updateUser(
            named: name, password: body.password, grants: try body.grants.map { try GrantBody.grants($0) }, revokeTokens: body.revokeTokens ?? false,
            slackUserId: body.slackUserId, by: caller.name, origin: origin
        )
        var note: String?
        if body.password != nil {
            let tokens: String
            if change.revokedTokens > 0 {
                tokens = "\(change.revokedTokens) API token\(change.revokedTokens == 1 ? " was" : "s were") revoked."
            } else if change.keptTokens > 0 {
                tokens = "\(change.keptTokens) API token\(change.keptTokens == 1 ? " still works" : "s still work"): revoke \(change.keptTokens == 1 ? "it" : "them") with `waveline tokens revoke ID`, or change the password again with revokeTokens."
            } else {
                tokens = "\(name) has no API token."
            }
            note = "Signed \(name) out of every browser session (their live streams end too). " + tokens
        }
        var user = change.user
        user.note = note
        return user
    }

    @Sendable func remove(_ request: Request, context: Context) async throws -> Response {
        _ = try QueryValues(request, allowed: [])
        let caller = try context.authorize(.manageUsers)
        try await identities.removeUser(named: context.parameters.get("name") ?? "", by: caller.name, origin: request.origin(context: context))
        return Response(status: .noContent)
    }

    private func checkScopes(of grants: [Grant]) async throws {
        let inventory = await engine.workspace.inventory
        let problems = grants.flatMap(inventory.unknownScopes(in:))
        // Well formed, but naming what the inventory lacks: 422, as for a deployment naming an unknown node.
        if !problems.isEmpty { throw APIError(.unprocessableContent, problems.joined(separator: "; ")) }
    }
}

extension UserView: ResponseEncodable {}
extension UserList: ResponseEncodable {}

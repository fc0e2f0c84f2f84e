import WavelineCore

/// The JSON shapes of sign-in, users and API tokens.

public struct SignInBody: Codable, Sendable {
    public var user: String
    public var password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}

/// A role for a scope; `environments`/`products` empty or absent: all of them.
public struct GrantBody: Codable, Sendable, Hashable {
    public var role: Role
    public var environments: [String]?
    public var products: [String]?

    public init(role: Role, environments: [String]? = nil, products: [String]? = nil) {
        self.role = role
        self.environments = environments
        self.products = products
    }

    public init(_ grant: Grant) {
        self.init(role: grant.role, environments: grant.environments, products: grant.products)
    }

    public var grant: Grant { Grant(role: role, environments: environments ?? [], products: products ?? []) }
}

public struct SessionView: Codable, Sendable {
    public var user: String
    public var grants: [GrantBody]
    /// `session` (a browser) or `token`.
    public var credential: String
    public var tokenName: String?
    /// Send it as `X-CSRF-Token` with every state-changing request of a browser session.
    public var csrfToken: String?

    public init(user: String, grants: [GrantBody], credential: String, tokenName: String?, csrfToken: String?) {
        self.user = user
        self.grants = grants
        self.credential = credential
        self.tokenName = tokenName
        self.csrfToken = csrfToken
    }
}

public struct CreateUserBody: Codable, Sendable {
    public var name: String
    /// Absent: a token-only account (automation).
    public var password: String?
    public var grants: [GrantBody]
    /// The Slack account (`U…`) whose button presses act as this user.
    public var slackUserId: String?

    public init(name: String, password: String?, grants: [GrantBody], slackUserId: String? = nil) {
        self.name = name
        self.password = password
        self.grants = grants
        self.slackUserId = slackUserId
    }
}

public struct UpdateUserBody: Codable, Sendable {
    public var password: String?
    /// Needed to change one's own password.
    public var currentPassword: String?
    public var grants: [GrantBody]?
    /// With a new password: revoke the user's API tokens too (they keep working otherwise).
    public var revokeTokens: Bool?
    /// The Slack account (`U…`) whose button presses act as this user; `""` removes the mapping.
    public var slackUserId: String?

    public init(
        password: String? = nil, currentPassword: String? = nil, grants: [GrantBody]? = nil, revokeTokens: Bool? = nil, slackUserId: String? = nil
    ) {
        self.password = password
        self.currentPassword = currentPassword
        self.grants = grants
        self.revokeTokens = revokeTokens
        self.slackUserId = slackUserId
    }
}

public struct UserView: Codable, Sendable {
    public var name: String
    public var grants: [GrantBody]
    public var hasPassword: Bool
    public var createdAt: Double
    public var createdBy: String
    /// The Slack account (`U…`) whose button presses act as this user.
    public var slackUserId: String?
    /// After a change: what it did beyond the fields above (sessions ended, API tokens kept or revoked).
    public var note: String?

    public init(
        name: String, grants: [GrantBody], hasPassword: Bool, createdAt: Double, createdBy: String, slackUserId: String? = nil, note: String? = nil
    ) {
        self.name = name
        self.slackUserId = slackUserId
        self.grants = grants
        self.hasPassword = hasPassword
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.note = note
    }
}

public struct UserList: Codable, Sendable {
    public var users: [UserView]

    public init(users: [UserView]) {
        self.users = users
    }
}

public struct CreateTokenBody: Codable, Sendable {
    public var name: String
    /// 1…366; 90 when absent.
    public var expiresInDays: Int?
    /// Another user's token (admins only); absent: the caller's own.
    public var user: String?

    public init(name: String, expiresInDays: Int? = nil, user: String? = nil) {
        self.name = name
        self.expiresInDays = expiresInDays
        self.user = user
    }
}

public struct TokenView: Codable, Sendable {
    public var id: String
    public var name: String
    public var user: String
    public var createdAt: Double
    public var expiresAt: Double
    public var revokedAt: Double?
    public var createdBy: String

    public init(id: String, name: String, user: String, createdAt: Double, expiresAt: Double, revokedAt: Double?, createdBy: String) {
        self.id = id
        self.name = name
        self.user = user
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.createdBy = createdBy
    }
}

/// A new token: the secret itself appears here once and nowhere else.
public struct CreatedToken: Codable, Sendable {
    public var token: String
    public var details: TokenView

    public init(token: String, details: TokenView) {
        self.token = token
        self.details = details
    }
}

public struct TokenList: Codable, Sendable {
    public var tokens: [TokenView]

    public init(tokens: [TokenView]) {
        self.tokens = tokens
    }
}

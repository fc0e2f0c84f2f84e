import WavelineCore

/// A person (or an automation account) who may sign in. A user without a password signs in only with API
/// tokens an admin made for it.
public struct UserRecord: Sendable, Hashable, Codable {
    public var name: String
    /// bcrypt; nil for a token-only account.
    public var passwordHash: String?
    /// The user's grants (`[Grant]`) as JSON.
    var grantsJson: String
    public var createdAt: Double
    public var updatedAt: Double
    public var createdBy: String
    /// The Slack account (`U…`) whose button presses act as this user; nil: none.
    public var slackUserId: String?

    public init(name: String, passwordHash: String?, grants: [Grant], createdAt: Double, createdBy: String, slackUserId: String? = nil) {
        self.name = name
        self.passwordHash = passwordHash
        self.slackUserId = slackUserId
        self.grantsJson = JSONText.encode(grants)
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.createdBy = createdBy
    }

    public var grants: [Grant] {
        get { (try? JSONText.decode([Grant].self, from: grantsJson)) ?? [] }
        set { grantsJson = JSONText.encode(newValue) }
    }

    enum CodingKeys: String, CodingKey {
        case name, passwordHash = "password_hash", grantsJson = "grants_json", createdAt = "created_at",
             updatedAt = "updated_at", createdBy = "created_by", slackUserId = "slack_user_id"
    }
}

/// A named API token. Only its SHA-256 is stored: the token itself is shown once, when it is made.
public struct APITokenRecord: Sendable, Hashable, Codable {
    /// Public handle for listing and revoking (not the secret).
    public var id: String
    public var userName: String
    public var name: String
    public var tokenHash: String
    public var createdAt: Double
    public var expiresAt: Double
    public var revokedAt: Double?
    public var createdBy: String

    public init(id: String, userName: String, name: String, tokenHash: String, createdAt: Double, expiresAt: Double, createdBy: String) {
        self.id = id
        self.userName = userName
        self.name = name
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.createdBy = createdBy
    }

    enum CodingKeys: String, CodingKey {
        case id, userName = "user_name", name, tokenHash = "token_hash", createdAt = "created_at",
             expiresAt = "expires_at", revokedAt = "revoked_at", createdBy = "created_by"
    }
}

/// A signed-in browser. The cookie holds a random id; the store keeps its SHA-256, so a copy of the database
/// does not let anyone in.
public struct SessionRecord: Sendable, Hashable, Codable {
    public var idHash: String
    public var userName: String
    /// Sent back with every state-changing form or request of this session.
    public var csrfToken: String
    public var createdAt: Double
    public var expiresAt: Double
    public var origin: String

    public init(idHash: String, userName: String, csrfToken: String, createdAt: Double, expiresAt: Double, origin: String) {
        self.idHash = idHash
        self.userName = userName
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.origin = origin
    }

    enum CodingKeys: String, CodingKey {
        case idHash = "id_hash", userName = "user_name", csrfToken = "csrf_token", createdAt = "created_at",
             expiresAt = "expires_at", origin
    }
}

/// Identity rows that go away. They are written through `DeploymentStore.write` like every change, in the same
/// transaction as the audit event that says who removed them.
public enum IdentityRemoval: Sendable, Hashable {
    /// The user, their tokens and their sessions.
    case user(String)
    case session(idHash: String)
    /// Every session of a user (signed out everywhere: password changed, user removed).
    case sessions(ofUser: String)
    /// Sessions that expired before this time (seconds since 1970): swept at each sign-in.
    case sessionsExpired(before: Double)
}

/// Reads of users, tokens and sessions. Writes go through `DeploymentStore.write`.
public protocol IdentityStore: Sendable {
    func write(_ changes: [StoreChange]) async throws
    func users() async throws -> [UserRecord]
    func user(named name: String) async throws -> UserRecord?
    /// The user a Slack account is mapped to, if any.
    func user(slackUserId: String) async throws -> UserRecord?
    func token(hash: String) async throws -> APITokenRecord?
    func token(id: String) async throws -> APITokenRecord?
    /// Every token, or one user's; newest first.
    func tokens(ofUser user: String?) async throws -> [APITokenRecord]
    func session(idHash: String) async throws -> SessionRecord?
}

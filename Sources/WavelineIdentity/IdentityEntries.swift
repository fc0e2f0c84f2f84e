import WavelineCore

// Users, API tokens and browser sessions as the server's access layer reads and changes them: plain values,
// so the store's records (and their JSON columns) stay inside this module.

/// A person (or an automation account) who may sign in. Without a password, one signs in with API tokens only.
public struct User: Sendable, Hashable {
    public var name: String
    /// bcrypt; nil for a token-only account.
    public var passwordHash: String?
    public var grants: [Grant]
    public var createdAt: Double
    public var updatedAt: Double
    public var createdBy: String
    /// The Slack account (`U…`) whose button presses act as this user; nil: none. One account, one user.
    public var slackUserId: String?

    public init(name: String, passwordHash: String?, grants: [Grant], createdAt: Double, createdBy: String, slackUserId: String? = nil) {
        self.name = name
        self.passwordHash = passwordHash
        self.grants = grants
        self.slackUserId = slackUserId
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.createdBy = createdBy
    }
}

/// A named API token; only its SHA-256 is kept.
public struct APIToken: Sendable, Hashable {
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
}

/// A signed-in browser; only the SHA-256 of its cookie's id is kept.
public struct BrowserSession: Sendable, Hashable {
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
}

/// One change to the identities, written with the audit entries that say who made it.
public enum IdentityChange: Sendable, Hashable {
    case saveUser(User)
    case saveToken(APIToken)
    case saveSession(BrowserSession)
    /// The user, their tokens and their sessions.
    case removeUser(String)
    case removeSession(idHash: String)
    /// Every session of a user (signed out everywhere).
    case removeSessions(ofUser: String)
    /// Sessions that expired before this time (seconds since 1970).
    case removeSessionsExpired(before: Double)
}

/// An entry of the audit trail about identities (no deployment): who did what, when, from where.
public struct IdentityAuditEntry: Sendable, Hashable {
    public var time: Double
    public var actor: String
    public var kind: String
    public var message: String
    public var origin: String?

    public init(time: Double, actor: String, kind: String, message: String, origin: String? = nil) {
        self.time = time
        self.actor = actor
        self.kind = kind
        self.message = message
        self.origin = origin
    }
}

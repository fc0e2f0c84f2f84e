import WavelineCore
import WavelineStore

/// Where the identity service keeps users, tokens and sessions: reads them from the store and writes each
/// change in one transaction with its audit entries. The only place that maps them to the store's records.
public struct IdentityLedger: Sendable {
    private let store: any IdentityStore

    public init(store: any IdentityStore) {
        self.store = store
    }

    /// Every user, by name.
    public func users() async throws -> [User] { try await store.users().map(User.init) }

    public func user(named name: String) async throws -> User? { try await store.user(named: name).map(User.init) }

    /// The user a Slack account (`U…`) is mapped to, if any.
    public func user(slackUserId: String) async throws -> User? { try await store.user(slackUserId: slackUserId).map(User.init) }

    public func token(hash: String) async throws -> APIToken? { try await store.token(hash: hash).map(APIToken.init) }

    public func token(id: String) async throws -> APIToken? { try await store.token(id: id).map(APIToken.init) }

    /// Every token, or one user's; newest first.
    public func tokens(ofUser user: String?) async throws -> [APIToken] { try await store.tokens(ofUser: user).map(APIToken.init) }

    public func session(idHash: String) async throws -> BrowserSession? { try await store.session(idHash: idHash).map(BrowserSession.init) }

    /// Writes `changes` and then `audit`, all or nothing.
    public func write(_ changes: [IdentityChange], audit: [IdentityAuditEntry]) async throws {
        try await store.write(changes.map(Self.storeChange) + audit.map { .appendEvent(Self.event($0)) })
    }

    /// An entry without an origin is Waveline's own (the first start), recorded as the engine's entries are.
    private static func event(_ entry: IdentityAuditEntry) -> EventRecord {
        guard let origin = entry.origin else {
            return EventRecord(deploymentId: nil, time: entry.time, actor: entry.actor, kind: entry.kind, message: entry.message)
        }
        return EventRecord(deploymentId: nil, time: entry.time, actor: entry.actor, kind: entry.kind, message: entry.message, origin: origin)
    }

    private static func storeChange(_ change: IdentityChange) -> StoreChange {
        switch change {
        case .saveUser(let user): .saveUser(UserRecord(user))
        case .saveToken(let token): .saveToken(APITokenRecord(token))
        case .saveSession(let session): .saveSession(SessionRecord(session))
        case .removeUser(let name): .remove(.user(name))
        case .removeSession(let idHash): .remove(.session(idHash: idHash))
        case .removeSessions(let user): .remove(.sessions(ofUser: user))
        case .removeSessionsExpired(let time): .remove(.sessionsExpired(before: time))
        }
    }
}

extension User {
    init(_ record: UserRecord) {
        self.init(name: record.name, passwordHash: record.passwordHash, grants: record.grants, createdAt: record.createdAt, createdBy: record.createdBy,
                  slackUserId: record.slackUserId)
        updatedAt = record.updatedAt
    }
}

extension UserRecord {
    init(_ user: User) {
        self.init(name: user.name, passwordHash: user.passwordHash, grants: user.grants, createdAt: user.createdAt, createdBy: user.createdBy,
                  slackUserId: user.slackUserId)
        updatedAt = user.updatedAt
    }
}

extension APIToken {
    init(_ record: APITokenRecord) {
        self.init(id: record.id, userName: record.userName, name: record.name, tokenHash: record.tokenHash, createdAt: record.createdAt,
                  expiresAt: record.expiresAt, createdBy: record.createdBy)
        revokedAt = record.revokedAt
    }
}

extension APITokenRecord {
    init(_ token: APIToken) {
        self.init(id: token.id, userName: token.userName, name: token.name, tokenHash: token.tokenHash, createdAt: token.createdAt,
                  expiresAt: token.expiresAt, createdBy: token.createdBy)
        revokedAt = token.revokedAt
    }
}

extension BrowserSession {
    init(_ record: SessionRecord) {
        self.init(idHash: record.idHash, userName: record.userName, csrfToken: record.csrfToken, createdAt: record.createdAt,
                  expiresAt: record.expiresAt, origin: record.origin)
    }
}

extension SessionRecord {
    init(_ session: BrowserSession) {
        self.init(idHash: session.idHash, userName: session.userName, csrfToken: session.csrfToken, createdAt: session.createdAt,
                  expiresAt: session.expiresAt, origin: session.origin)
    }
}

import Crypto
import Foundation
import HTTPTypes
import HummingbirdBcrypt
import NIOPosix
import WavelineAPI
import WavelineCore
import WavelineIdentity

/// Users, their passwords, API tokens and browser sessions: signing in, and the changes an admin makes. Every
/// change is written with its audit event in one transaction. Only hashes of secrets are stored: bcrypt for
/// passwords, SHA-256 for tokens and session ids (long random values, so a fast hash is enough).
public final class IdentityService: Sendable {
    /// Users, tokens and sessions as stored; every change is written with its audit entries.
    let store: IdentityLedger
    /// Where "now" comes from: sessions' and tokens' expiry, the throttle's window, what is recorded.
    let time: any TimeSource
    /// bcrypt's cost (2^cost rounds); 12 by default, lower only to make tests fast.
    let passwordCost: UInt8
    let sessionLifetime: Double
    let throttle: LoginThrottle
    /// A valid bcrypt hash of nothing anyone types, checked when the user does not exist.
    private let decoyHash: String
    /// Identities of recently seen credentials, so a request costs the store no read to say who asks. Changes
    /// made here (revoking, signing out, changing a user) empty it at once; made by another replica, they take
    /// effect here within `IdentityCache.lifetime`.
    private let recent = IdentityCache()
    /// Changes to users read the user as stored and write it back in one section: a password change (bcrypt
    /// takes a while) must not write back grants changed meanwhile, nor bring back a removed user; two admins
    /// demoting each other must not leave no admin. Sessions and tokens are made in it too.
    private let userChanges = SerialSection()

    public static let minimumPasswordLength = 12
    public static let defaultTokenLifetimeDays = 90
    public static let maximumTokenLifetimeDays = 366

    public init(
        ledger store: IdentityLedger, passwordCost: UInt8 = 12, sessionLifetime: Double = 12 * 3600, throttle: LoginThrottle = LoginThrottle(),
        time: any TimeSource = .system
    ) {
        self.store = store
        self.time = time
        self.passwordCost = passwordCost
        self.sessionLifetime = sessionLifetime
        self.throttle = throttle
        self.decoyHash = Bcrypt.hash(Self.randomSecret(bytes: 16), cost: passwordCost)
    }

    // MARK: - Reading

    /// Every user, by name.
    func users() async throws -> [UserView] { try await store.users().map { UserView($0) } }

    /// The user as stored, or a 404 naming them.
    func user(named name: String) async throws -> UserView { UserView(try await storedUser(named: name)) }

    /// Every token, or one user's; newest first.
    func tokens(ofUser user: String?) async throws -> [TokenView] { try await store.tokens(ofUser: user).map(TokenView.init) }

    func token(id: String) async throws -> TokenView? { try await store.token(id: id).map(TokenView.init) }

    // MARK: - First start

    /// What the first start did, for the server to print once.
    public struct Bootstrap: Sendable {
        public var user: String
        /// Shown once when Waveline chose it; nil when the operator gave it (WAVELINE_INITIAL_ADMIN_PASSWORD).
        public var generatedPassword: String?
        public var registeredToken: Bool
    }

    /// On a store with no users, creates `admin` with a password (given, or random and returned to be printed
    /// once) and, when given, registers an API token for automation. Nothing happens once any user exists.
    public func bootstrap(password given: String?, token: String?) async throws -> Bootstrap? {
        guard try await store.users().isEmpty else { return nil }
        if let given, given.count < Self.minimumPasswordLength {
            throw APIError(.badRequest, "WAVELINE_INITIAL_ADMIN_PASSWORD is too short: a password has at least \(Self.minimumPasswordLength) characters")
        }
        if let token, token.count < 32 {
            throw APIError(.badRequest, "WAVELINE_INITIAL_ADMIN_TOKEN is too short: a token has at least 32 characters (e.g. `openssl rand -hex 24`)")
        }
        let password = given ?? Self.randomSecret(bytes: 15)
        let now = time.now()
        let admin = User(name: "admin", passwordHash: try await hash(password), grants: [Grant(role: .admin)], createdAt: now, createdBy: "waveline")
        var changes: [IdentityChange] = [.saveUser(admin)]
        var audit = [IdentityAuditEntry(time: now, actor: "waveline", kind: "user.created", message: "first start: created user admin (admin on everything)")]
        if let token {
            let record = APIToken(id: Self.randomID(), userName: "admin", name: "bootstrap", tokenHash: Self.sha256(token),
                                  createdAt: now, expiresAt: now + 30 * 86400, createdBy: "waveline")
            changes.append(.saveToken(record))
            audit.append(IdentityAuditEntry(time: now, actor: "waveline", kind: "token.created",
                                            message: "first start: registered API token 'bootstrap' (\(record.id)) for admin, valid 30 days"))
        }
        try await store.write(changes, audit: audit)
        return Bootstrap(user: "admin", generatedPassword: given == nil ? password : nil, registeredToken: token != nil)
    }

    // MARK: - Authenticating requests

    /// The identity behind an API token; a 401 that says why when the token is unknown, expired or revoked.
    func identity(token: String) async throws -> Identity {
        try await identity(tokenHash: Self.sha256(token))
    }

    private func identity(tokenHash hash: String) async throws -> Identity {
        let cached = recent.identity(for: "token:" + hash, now: time.now())
        if let known = cached.identity { return known }
        guard let record = try await store.token(hash: hash) else {
            throw APIError(.unauthorized, "the API token is not known: it is mistyped, or its user was removed; make one with `waveline login`")
        }
        if let revoked = record.revokedAt {
            throw APIError(.unauthorized, "the API token '\(record.name)' (\(record.id)) was revoked at \(Self.timestamp(revoked))")
        }
        if record.expiresAt <= time.now() {
            throw APIError(.unauthorized, "the API token '\(record.name)' (\(record.id)) expired at \(Self.timestamp(record.expiresAt)); make a new one with `waveline login`")
        }
        guard let user = try await store.user(named: record.userName) else {
            throw APIError(.unauthorized, "the API token's user \(record.userName) no longer exists")
        }
        let identity = Identity(name: user.name, grants: user.grants, credential: .token(id: record.id, name: record.name),
                                expiresAt: record.expiresAt, credentialKey: "token:" + hash)
        recent.remember(identity, for: "token:" + hash, until: record.expiresAt, now: time.now(), generation: cached.generation)
        return identity
    }

    /// The identity of a browser session cookie; nil when it is unknown or expired (the browser signs in again).
    func identity(sessionID: String) async throws -> Identity? {
        try await identity(sessionIDHash: Self.sha256(sessionID))
    }

    private func identity(sessionIDHash hash: String) async throws -> Identity? {
        let cached = recent.identity(for: "session:" + hash, now: time.now())
        if let known = cached.identity { return known }
        guard let session = try await store.session(idHash: hash), session.expiresAt > time.now(),
              let user = try await store.user(named: session.userName) else { return nil }
        let identity = Identity(name: user.name, grants: user.grants, credential: .session(idHash: session.idHash, csrfToken: session.csrfToken),
                                expiresAt: session.expiresAt, credentialKey: "session:" + hash)
        recent.remember(identity, for: "session:" + hash, until: session.expiresAt, now: time.now(), generation: cached.generation)
        return identity
    }

    /// Whether a credential checked earlier (by a live stream that is still open) still stands for the same
    /// person with the same grants: false once it is revoked or expired, its session ended, its user's password
    /// changed or grants changed, or its user removed. Read through the identity cache, so a change made on
    /// this server is seen at once and one made by another replica within `IdentityCache.lifetime`.
    func isStillValid(_ identity: Identity) async -> Bool {
        guard let key = identity.credentialKey else { return true }
        do {
            if key.hasPrefix("token:") { return try await self.identity(tokenHash: String(key.dropFirst(6))) == identity }
            if key.hasPrefix("session:") { return try await self.identity(sessionIDHash: String(key.dropFirst(8))) == identity }
            return false
        } catch let error as APIError where error.status == .unauthorized {
            return false
        } catch {
            // The store could not answer: a stream is not ended for that; the next check asks again.
            return true
        }
    }

    // MARK: - Signing in

    /// Checks a user's password, slowed down per user name from one address and per address (`LoginThrottle`).
    /// Failures are audited.
    func verify(user name: String, password: String, origin: String) async throws -> VerifiedUser {
        guard !password.utf8.contains(0) else {
            // bcrypt stops at a NUL: what follows it would not count.
            throw APIError(.badRequest, "field 'password': a password cannot contain a NUL character")
        }
        let keys = throttle.keys(name: name, address: origin)
        let admittedAt = time.now()
        if let wait = throttle.admit(keys: keys, now: admittedAt) {
            var error = APIError(.tooManyRequests, "too many failed sign-ins for \(name.prefix(64)) from \(origin); try again in \(Int(wait.rounded(.up))) s")
            error.headers[.retryAfter] = "\(Int(wait.rounded(.up)))"
            throw error
        }
        let user = try await store.user(named: name)
        // A missing user costs the same bcrypt as a wrong password, so timing does not tell which names exist.
        let hash = user?.passwordHash ?? decoyHash
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        guard let user, let passwordHash = user.passwordHash, matches else {
            try await store.write([], audit: [IdentityAuditEntry(
                time: time.now(), actor: "anonymous", kind: "auth.sign_in_failed", message: "sign-in failed for user '\(name.prefix(64))'", origin: origin)])
            throw APIError(.unauthorized, "wrong user name or password")
        }
        throttle.succeeded(keys: keys, admittedAt: admittedAt)
        return VerifiedUser(name: user.name, grants: user.grants, passwordHash: passwordHash)
    }

    /// A new browser session for a verified user: the cookie value (shown to the browser only) and the session's
    /// CSRF token (state-changing requests carry it).
    func startSession(for user: VerifiedUser, origin: String) async throws -> (cookie: String, csrfToken: String) {
        try await userChanges.run {
            try await requireUnchangedPassword(user)
            let id = Self.randomSecret(bytes: 32)
            let now = time.now()
            let record = BrowserSession(idHash: Self.sha256(id), userName: user.name, csrfToken: Self.randomSecret(bytes: 24),
                                        createdAt: now, expiresAt: now + sessionLifetime, origin: origin)
            try await store.write(
                [.removeSessionsExpired(before: now), .saveSession(record)],
                audit: [IdentityAuditEntry(time: now, actor: user.name, kind: "auth.signed_in", message: "signed in to the web UI", origin: origin)]
            )
            return (id, record.csrfToken)
        }
    }

    /// In the user section, before a session or token is made from a checked password: a password changed
    /// (or a user removed) while bcrypt checked the old one must not leave a way in.
    private func requireUnchangedPassword(_ verified: VerifiedUser) async throws {
        guard let stored = try await store.user(named: verified.name), stored.passwordHash == verified.passwordHash else {
            throw APIError(.unauthorized, "the password of \(verified.name) was changed while signing in; sign in again")
        }
    }

    func endSession(_ identity: Identity, origin: String) async throws {
        guard case .session(let idHash, _) = identity.credential else { return }
        defer { recent.forgetAll() }
        try await store.write(
            [.removeSession(idHash: idHash)],
            audit: [IdentityAuditEntry(time: time.now(), actor: identity.name, kind: "auth.signed_out", message: "signed out", origin: origin)]
        )
    }

    // MARK: - Tokens

    /// Makes an API token for `user`; the token is returned once and never stored.
    /// `signedInWith`: the user whose password was just checked to ask for it (HTTP Basic), if so.
    /// `notAfter`: the latest expiry allowed (the expiry of the token that asks for this one).
    public func createToken(
        for user: String, name: String, lifetimeDays: Int, by actor: String, origin: String, signedInWith verified: VerifiedUser? = nil,
        notAfter: Double? = nil
    ) async throws -> (details: TokenView, token: String) {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 64, !name.contains(where: \.isNewline) else {
            throw APIError(.badRequest, "field 'name': a token needs a name of 1 to 64 characters on one line (say what uses it: `laptop`, `ci`)")
        }
        guard (1...Self.maximumTokenLifetimeDays).contains(lifetimeDays) else {
            throw APIError(.badRequest, "field 'expiresInDays': expected 1 to \(Self.maximumTokenLifetimeDays) days, got \(lifetimeDays)")
        }
        // In the user section: a token is never made for a user being removed, or from a password being changed.
        return try await userChanges.run {
            if let verified { try await requireUnchangedPassword(verified) }
            _ = try await storedUser(named: user)
            let token = "wl_" + Self.randomSecret(bytes: 32)
            let now = time.now()
            let record = APIToken(id: Self.randomID(), userName: user, name: name, tokenHash: Self.sha256(token),
                                  createdAt: now, expiresAt: min(now + Double(lifetimeDays) * 86400, notAfter ?? .infinity), createdBy: actor)
            try await store.write([.saveToken(record)], audit: [IdentityAuditEntry(
                time: now, actor: actor, kind: "token.created",
                message: "created API token '\(name)' (\(record.id)) for \(user), expires \(Self.timestamp(record.expiresAt))", origin: origin)])
            return (TokenView(record), token)
        }
    }

    /// Revokes the token with `id` (a 404 when there is none); one already revoked stays as it was.
    func revokeToken(id: String, by actor: String, origin: String) async throws -> TokenView {
        guard let record = try await store.token(id: id) else { throw APIError(.notFound, "no API token with id \(id.callerQuoted)") }
        guard record.revokedAt == nil else { return TokenView(record) }
        defer { recent.forgetAll() }
        var revoked = record
        revoked.revokedAt = time.now()
        try await store.write([.saveToken(revoked)], audit: [IdentityAuditEntry(
            time: time.now(), actor: actor, kind: "token.revoked", message: "revoked API token '\(record.name)' (\(record.id)) of \(record.userName)", origin: origin)])
        return TokenView(revoked)
    }

    // MARK: - Users

    public func createUser(
        name: String, password: String?, grants: [Grant], slackUserId: String? = nil, by actor: String, origin: String
    ) async throws -> UserView {
        try Self.validate(userName: name)
        if let password { try Self.validate(password: password) }
        if let slackUserId { try Self.validate(slackUserId: slackUserId) }
        let passwordHash = try await password.asyncMap(hash)
        return try await userChanges.run {
            guard try await store.user(named: name) == nil else { throw APIError(.conflict, "user '\(name)' already exists") }
            if let slackUserId { try await requireUnmapped(slackUserId, except: name) }
            let record = User(name: name, passwordHash: passwordHash, grants: grants, createdAt: time.now(), createdBy: actor, slackUserId: slackUserId)
            let slack = slackUserId.map { ", Slack user \($0)" } ?? ""
            try await store.write([.saveUser(record)], audit: [IdentityAuditEntry(
                time: time.now(), actor: actor, kind: "user.created",
                message: "created user \(name) (\(Self.describe(grants)))\(password == nil ? ", token-only" : "")\(slack)", origin: origin)])
            return UserView(record)
        }
    }

    /// What a change did to a user: the user as stored, and what became of their API tokens after a new password.
    struct UserChange {
        var user: UserView
        /// Tokens revoked with the password change (`revokeTokens`), and those that still work.
        var revokedTokens = 0
        var keptTokens = 0
    }

    /// Changes a user's grants and/or password, applied to the user as stored when the change is written. A
    /// new password signs the user out of every browser (their open live streams end with their sessions);
    /// their API tokens keep working unless `revokeTokens`, since a token is a credential of its own, shown once
    /// and revocable one by one. The last admin on everything stays one.
    /// `slackUserId`: nil leaves the mapping as it is, `""` removes it.
    func updateUser(
        named name: String, password: String?, grants: [Grant]?, revokeTokens: Bool = false, slackUserId: String? = nil, by actor: String, origin: String
    ) async throws -> UserChange {
        if let password { try Self.validate(password: password) }
        if let slackUserId, !slackUserId.isEmpty { try Self.validate(slackUserId: slackUserId) }
        let passwordHash = try await password.asyncMap(hash)
        return try await userChanges.run {
            let user = try await storedUser(named: name)
            var updated = user
            var changes: [IdentityChange] = []
            var said: [String] = []
            var change = UserChange(user: UserView(user))
            if let passwordHash {
                updated.passwordHash = passwordHash
                changes.append(.removeSessions(ofUser: user.name))
                said.append("changed the password (signed out of every browser)")
                let now = time.now()
                let live = try await store.tokens(ofUser: user.name).filter { $0.revokedAt == nil && $0.expiresAt > now }
                if revokeTokens {
                    for var token in live {
                        token.revokedAt = now
                        changes.append(.saveToken(token))
                    }
                    change.revokedTokens = live.count
                    if !live.isEmpty { said.append("revoked \(live.count) API token\(live.count == 1 ? "" : "s")") }
                } else {
                    change.keptTokens = live.count
                }
            }
            if let grants {
                if !grants.contains(where: Self.isFullAdmin) { try await requireAnotherAdmin(than: user) }
                updated.grants = grants
                said.append("set grants to \(Self.describe(grants))")
            }
            if let slackUserId, slackUserId != (user.slackUserId ?? "") {
                if slackUserId.isEmpty {
                    updated.slackUserId = nil
                    said.append("removed the Slack user \(user.slackUserId ?? "")")
                } else {
                    try await requireUnmapped(slackUserId, except: user.name)
                    updated.slackUserId = slackUserId
                    said.append("set the Slack user to \(slackUserId)")
                }
            }
            guard !said.isEmpty else { return change }
            defer { recent.forgetAll() }
            updated.updatedAt = time.now()
            try await store.write([.saveUser(updated)] + changes, audit: [IdentityAuditEntry(
                time: time.now(), actor: actor, kind: "user.updated", message: "\(user.name): " + said.joined(separator: "; "), origin: origin)])
            change.user = UserView(updated)
            return change
        }
    }

    /// Changing one's own password needs the current one: a session or token left open somewhere must not be
    /// enough to take the account over. Checked like a sign-in (slowed down, audited when wrong).
    func verifyCurrentPassword(ofUserNamed name: String, _ current: String?, origin: String) async throws {
        let user = try await storedUser(named: name)
        guard user.passwordHash != nil else {
            throw APIError(.forbidden, "\(user.name) has no password (a token-only account): an admin sets the first one")
        }
        guard let current, !current.isEmpty else {
            throw APIError(.unprocessableContent, "field 'currentPassword': changing your own password needs your current one")
        }
        do {
            _ = try await verify(user: user.name, password: current, origin: origin)
        } catch let error as APIError where error.status == .unauthorized {
            throw APIError(.forbidden, "field 'currentPassword' is not the current password of \(user.name)")
        }
    }

    func removeUser(named name: String, by actor: String, origin: String) async throws {
        try await userChanges.run {
            let user = try await storedUser(named: name)
            try await requireAnotherAdmin(than: user)
            defer { recent.forgetAll() }
            try await store.write([.removeUser(user.name)], audit: [IdentityAuditEntry(
                time: time.now(), actor: actor, kind: "user.removed", message: "removed user \(user.name) with their tokens and sessions", origin: origin)])
        }
    }

    /// The user as stored, or a 404 naming them.
    private func storedUser(named name: String) async throws -> User {
        guard let user = try await store.user(named: name) else { throw APIError(.notFound, "no user \(name.callerQuoted)") }
        return user
    }

    /// The user a Slack account is mapped to (`slackUserId`), if any.
    func user(slackUserId: String) async throws -> User? { try await store.user(slackUserId: slackUserId) }

    /// One Slack account stands for one user: whose presses would it be otherwise? (The store's unique index
    /// holds it too; checked here first so the answer names the other user.)
    private func requireUnmapped(_ slackUserId: String, except name: String) async throws {
        if let holder = try await store.user(slackUserId: slackUserId), holder.name != name {
            throw APIError(.conflict, "field 'slackUserId': Slack user \(slackUserId) is already mapped to \(holder.name); remove it there first")
        }
    }

    private static func isFullAdmin(_ grant: Grant) -> Bool { grant.role == .admin && grant.coversEverything }

    /// Nobody may lock everyone out: the last admin on everything stays one.
    private func requireAnotherAdmin(than user: User) async throws {
        guard user.grants.contains(where: Self.isFullAdmin) else { return }
        let others = try await store.users().filter { $0.name != user.name && $0.grants.contains(where: Self.isFullAdmin) }
        if others.isEmpty {
            throw APIError(.conflict, "\(user.name) is the last admin on everything; make another admin first")
        }
    }

    // MARK: - Helpers

    private func hash(_ password: String) async throws -> String {
        let cost = passwordCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit.
    static func isUserName(_ name: String) -> Bool {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        return (1...64).contains(name.count) && allowed && (name.first?.isLetter == true || name.first?.isNumber == true)
    }

    static func validate(userName name: String) throws {
        guard isUserName(name) else {
            throw APIError(.badRequest, "field 'name': a user name has 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit; got '\(name.prefix(80))'")
        }
        guard !["anonymous", "waveline", "engine"].contains(name) else {
            throw APIError(.unprocessableContent, "field 'name': '\(name)' is reserved for Waveline's own entries in the audit trail")
        }
    }

    /// A Slack user id as Slack shows it in a member's profile: `U` or `W`, then capital letters and digits.
    static func isSlackUserId(_ id: String) -> Bool {
        (2...32).contains(id.count) && (id.first == "U" || id.first == "W")
            && id.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    static func validate(slackUserId id: String) throws {
        guard isSlackUserId(id) else {
            throw APIError(.badRequest, "field 'slackUserId': a Slack user id is U or W followed by capital letters and digits (e.g. U0123ABCD, from the member's Slack profile, \"Copy member ID\"); got '\(id.prefix(40))'")
        }
    }

    static func validate(password: String) throws {
        guard !password.unicodeScalars.contains("\0") else {
            throw APIError(.badRequest, "field 'password': a password cannot contain NUL")
        }
        // Counted in Unicode scalars, as the API document's minLength counts them.
        guard password.unicodeScalars.count >= minimumPasswordLength else {
            throw APIError(.badRequest, "field 'password': a password has at least \(minimumPasswordLength) characters")
        }
        guard !password.utf8.contains(0) else {
            // bcrypt stops at a NUL: everything after it would be ignored.
            throw APIError(.badRequest, "field 'password': a password cannot contain a NUL character")
        }
        guard password.utf8.count <= 72 else {
            // bcrypt reads 72 bytes; a longer password would be silently cut.
            throw APIError(.unprocessableContent, "field 'password': a password has at most 72 bytes (bcrypt reads no more)")
        }
    }

    static func describe(_ grants: [Grant]) -> String {
        grants.isEmpty ? "no grants" : grants.map(\.description).joined(separator: "; ")
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `bytes` random bytes, base64url without padding.
    static func randomSecret(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<6).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    static func timestamp(_ time: Double) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: time))
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

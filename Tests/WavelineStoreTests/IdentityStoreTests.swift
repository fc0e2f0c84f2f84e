import Testing
import WavelineCore
import WavelineStore

/// Users, API tokens and sessions: written with `write`, read back field for field, removed with what
/// belongs to them, on every backend.
@Suite struct IdentityStoreTests {
    static func user(_ name: String, grants: [Grant] = [Grant(role: .deployer, environments: ["dev"], products: ["kafka"])]) -> UserRecord {
        UserRecord(name: name, passwordHash: "$2b$04$abcdefghijklmnopqrstuv", grants: grants, createdAt: 1_700_000_000.5, createdBy: "admin")
    }

    @Test(arguments: StoreBackend.all)
    func usersTokensAndSessionsRoundTripAndGoWithTheirUser(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = try #require(harness.store as? any IdentityStore)
            let ana = Self.user("ana")
            var bot = Self.user("ci-bot", grants: [])
            bot.passwordHash = nil
            var token = APITokenRecord(id: "a1b2c3", userName: "ana", name: "laptop", tokenHash: String(repeating: "f", count: 64),
                                       createdAt: 1_700_000_000, expiresAt: 1_700_086_400, createdBy: "ana")
            let live = SessionRecord(idHash: String(repeating: "1", count: 64), userName: "ana", csrfToken: "csrf", createdAt: 1_700_000_000, expiresAt: 4_000_000_000, origin: "10.0.0.7")
            let stale = SessionRecord(idHash: String(repeating: "2", count: 64), userName: "ana", csrfToken: "csrf2", createdAt: 1_600_000_000, expiresAt: 1_600_000_100, origin: "10.0.0.7")
            try await store.write([.saveUser(ana), .saveUser(bot), .saveToken(token), .saveSession(live), .saveSession(stale)])

            #expect(try await store.users() == [ana, bot])
            #expect(try await store.user(named: "ana")?.grants == [Grant(role: .deployer, environments: ["dev"], products: ["kafka"])])
            #expect(try await store.token(hash: token.tokenHash) == token)
            #expect(try await store.token(id: "a1b2c3") == token)
            #expect(try await store.tokens(ofUser: "ana") == [token])
            #expect(try await store.tokens(ofUser: "ci-bot").isEmpty)
            #expect(try await store.session(idHash: live.idHash) == live)

            token.revokedAt = 1_700_000_500
            try await store.write([.saveToken(token), .remove(.sessionsExpired(before: 1_700_000_000))])
            #expect(try await store.token(id: "a1b2c3")?.revokedAt == 1_700_000_500)
            #expect(try await store.session(idHash: stale.idHash) == nil)
            #expect(try await store.session(idHash: live.idHash) != nil)

            // A removed user takes their tokens and sessions along.
            try await store.write([.remove(.user("ana"))])
            #expect(try await store.user(named: "ana") == nil)
            #expect(try await store.token(id: "a1b2c3") == nil)
            #expect(try await store.session(idHash: live.idHash) == nil)
            #expect(try await store.users() == [bot])

            try await harness.reopen()
            #expect(try await (harness.store as? any IdentityStore)?.users() == [bot])
        }
    }
}

import Testing
import WavelineCore
import WavelineIdentity
import WavelineStore
import WavelineTesting

/// The ledger maps users, tokens and sessions to the store's records and back, field for field, and writes each
/// change with its audit entries in one write, on a real SQLite file.
@Suite struct IdentityLedgerTests {
    @Test func everyFieldAndEveryChangeRoundTripsThroughTheStoreWithItsAuditEntries() async throws {
        let factory = try SQLiteStoreFactory()
        let store = try await SQLDeploymentStore.sqlite(path: factory.path)
        do {
            let ledger = IdentityLedger(store: store)
            var ana = User(name: "ana", passwordHash: "$2b$04$abcdefghijklmnopqrstuv", grants: [Grant(role: .deployer, environments: ["dev"], products: ["kafka"])],
                           createdAt: 1_700_000_000.5, createdBy: "admin")
            ana.updatedAt = 1_700_000_100.25
            let bot = User(name: "ci-bot", passwordHash: nil, grants: [], createdAt: 1_700_000_001, createdBy: "ana")
            var token = APIToken(id: "a1b2c3", userName: "ana", name: "laptop", tokenHash: String(repeating: "f", count: 64),
                                 createdAt: 1_700_000_000, expiresAt: 1_700_086_400, createdBy: "ana")
            token.revokedAt = 1_700_000_500
            let live = BrowserSession(idHash: String(repeating: "1", count: 64), userName: "ana", csrfToken: "csrf", createdAt: 1_700_000_000,
                                      expiresAt: 4_000_000_000, origin: "10.0.0.7")
            let stale = BrowserSession(idHash: String(repeating: "2", count: 64), userName: "ci-bot", csrfToken: "csrf2", createdAt: 1_600_000_000,
                                       expiresAt: 1_600_000_100, origin: "10.0.0.8")
            try await ledger.write(
                [.saveUser(ana), .saveUser(bot), .saveToken(token), .saveSession(live), .saveSession(stale)],
                audit: [IdentityAuditEntry(time: 1_700_000_000, actor: "waveline", kind: "user.created", message: "first start"),
                        IdentityAuditEntry(time: 1_700_000_001, actor: "ana", kind: "token.created", message: "made a token", origin: "10.0.0.7")]
            )
            #expect(try await ledger.users() == [ana, bot])
            #expect(try await ledger.user(named: "ana") == ana)
            #expect(try await ledger.token(hash: token.tokenHash) == token)
            #expect(try await ledger.token(id: "a1b2c3") == token)
            #expect(try await ledger.tokens(ofUser: nil) == [token])
            #expect(try await ledger.session(idHash: live.idHash) == live)
            // Entries without an origin are Waveline's own, recorded like the engine's; both come after the changes.
            let entries = try await store.events(of: nil, afterID: 0, limit: 10)
            #expect(entries.map(\.kind) == ["user.created", "token.created"])
            #expect(entries.map(\.origin) == [AuditChain.engineOrigin, "10.0.0.7"])
            #expect(entries.allSatisfy { $0.deploymentId == nil })

            try await ledger.write([.removeSessionsExpired(before: 1_700_000_000)], audit: [])
            #expect(try await ledger.session(idHash: stale.idHash) == nil)
            try await ledger.write([.removeSession(idHash: live.idHash)], audit: [])
            #expect(try await ledger.session(idHash: live.idHash) == nil)
            try await ledger.write([.saveSession(live)], audit: [])
            try await ledger.write([.removeSessions(ofUser: "ana")], audit: [])
            #expect(try await ledger.session(idHash: live.idHash) == nil)
            try await ledger.write([.removeUser("ana")], audit: [IdentityAuditEntry(time: 1_700_000_002, actor: "admin", kind: "user.removed", message: "removed ana", origin: "10.0.0.9")])
            #expect(try await ledger.users() == [bot])
            #expect(try await ledger.token(id: "a1b2c3") == nil)
            #expect(try await store.events(of: nil, afterID: 0, limit: 10).map(\.kind) == ["user.created", "token.created", "user.removed"])
        } catch {
            try? await store.close()
            try? await factory.destroy()
            throw error
        }
        try await store.close()
        try await factory.destroy()
    }
}

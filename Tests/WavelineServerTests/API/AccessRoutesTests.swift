import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Users, tokens and who-am-I in-process.
@Suite struct AccessRoutesTests {
    @Test func anAdminMakesAUserWhoseTokenWorksUntilRevoked() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["quick": Operations.quick])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let viewer = try await server.as("vera", [GrantBody(role: .viewer)])
            let me: SessionView = try await viewer.get("/api/v1/me")
            #expect(me.user == "vera")
            #expect(me.grants.map(\.role) == [.viewer])

            let users: UserList = try await server.get("/api/v1/users")
            #expect(users.users.map(\.name).sorted() == ["admin", "vera"])
            let vera: UserView = try await server.get("/api/v1/users/vera")
            #expect(vera.createdBy == "admin" && !vera.hasPassword)

            let tokens: TokenList = try await server.get("/api/v1/tokens?user=vera")
            let token = try #require(tokens.tokens.first)
            #expect(tokens.tokens.count == 1 && token.user == "vera" && token.revokedAt == nil)

            let revoke = try await server.request(.delete, "/api/v1/tokens/\(token.id)")
            #expect(revoke.status == .ok)
            let refused = try await viewer.failure(.get, "/api/v1/me")
            #expect(refused.status == 401)
        }
    }
}

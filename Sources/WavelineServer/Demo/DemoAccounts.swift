import WavelineCore

extension WavelineServer {
    /// Makes a token-only user with `role` on everything, created by `admin`, and an API token for it valid one
    /// day: how `waveline demo` acts through the API as the people of its story. Returns the token's secret.
    public func makeDemoUser(_ name: String, role: Role) async throws -> String {
        _ = try await identities.createUser(name: name, password: nil, grants: [Grant(role: role)], by: "admin", origin: "demo")
        return try await identities.createToken(for: name, name: "demo", lifetimeDays: 1, by: "admin", origin: "demo").token
    }
}

import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineStore
import WavelineTesting
@testable import WavelineServer

/// The identity service reads "now" from the time it is given (`ServerOptions.time`), so expiry is decided on
/// that time: a manual time moves a token past its end without waiting.
@Suite(.timeLimit(.minutes(1)))
struct IdentityTimeTests {
    @Test func aTokenStandsUntilItsLifetimeHasPassedOnTheServiceTime() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-time-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await SQLDeploymentStore.sqlite(path: directory + "/waveline.sqlite")
        do {
            let time = ManualTime()
            let identities = IdentityService(store: store, passwordCost: 4, time: time)
            _ = try await identities.bootstrap(password: nil, token: nil)
            let made = try await identities.createToken(for: "admin", name: "ci", lifetimeDays: 1, by: "admin", origin: "test")
            #expect(made.details.createdAt == time.now())
            #expect(made.details.expiresAt == time.now() + 86400)
            #expect(try await identities.identity(token: made.token).name == "admin")
            time.advance(by: 86400 - 1)
            #expect(try await identities.identity(token: made.token).name == "admin")
            time.advance(by: 1)
            await #expect(throws: APIError.self) { try await identities.identity(token: made.token) }
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }
}

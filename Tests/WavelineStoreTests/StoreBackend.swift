import Foundation
import Testing
import WavelineStore
import WavelineTesting

/// One backend of the suite. Every store test takes `StoreBackend.all` as its arguments, so adding a
/// backend is one line in `all`.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let makeFactory: @Sendable () async throws -> any StoreFactory

    var testDescription: String { name }

    static let all: [StoreBackend] = [.sqlite]

    static let sqlite = StoreBackend(name: "SQLite") { try SQLiteStoreFactory() }
}

/// The store under test, which a test may reopen over the same database.
final class StoreHarness {
    let factory: any StoreFactory
    private(set) var store: any DeploymentStore

    init(factory: any StoreFactory, store: any DeploymentStore) {
        self.factory = factory
        self.store = store
    }

    /// Closes the store and opens a new one on the same data, as a restarted server does.
    func reopen() async throws {
        try await store.close()
        store = try await factory.open()
    }
}

extension StoreBackend {
    /// Runs `body` with a store on a fresh database, then closes the store and removes the database.
    func withStore(_ body: (StoreHarness) async throws -> Void) async throws {
        let factory = try await makeFactory()
        let harness: StoreHarness
        do {
            harness = StoreHarness(factory: factory, store: try await factory.open())
        } catch {
            try? await factory.destroy()
            throw error
        }
        do {
            try await body(harness)
        } catch {
            try? await harness.store.close()
            try? await factory.destroy()
            throw error
        }
        try await harness.store.close()
        try await factory.destroy()
    }
}

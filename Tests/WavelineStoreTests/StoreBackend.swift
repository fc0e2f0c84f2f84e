import Foundation
import Testing
import WavelineStore

/// A database the store suite runs on. Each test gets a fresh, empty one, and may open a new store over
/// the same data (a server restart). A backend that needs a server (PostgreSQL) creates a database per test
/// in `makeFactory` and drops it in `destroy`.
protocol StoreFactory: Sendable {
    /// Opens a store on this test's database; migrations run here.
    func open() async throws -> any DeploymentStore
    /// Removes the database once every store opened on it is closed.
    func destroy() async throws
}

/// One backend of the suite. Every store test takes `StoreBackend.all` as its arguments, so adding a
/// backend is one line in `all`.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let makeFactory: @Sendable () async throws -> any StoreFactory

    var testDescription: String { name }

    static let all: [StoreBackend] = [.sqlite]

    static let sqlite = StoreBackend(name: "SQLite") { try SQLiteStoreFactory() }
}

/// A SQLite file in a fresh temporary directory (the directory also holds the WAL and shared-memory files).
struct SQLiteStoreFactory: StoreFactory {
    let directory: String
    var path: String { directory + "/waveline.sqlite" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func open() async throws -> any DeploymentStore { try await SQLDeploymentStore.sqlite(path: path) }

    func destroy() async throws { try FileManager.default.removeItem(atPath: directory) }
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

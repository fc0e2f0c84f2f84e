import Foundation
import WavelineStore

/// A database a test runs on. Each test gets a fresh, empty one, and may open a new store over the same data
/// (a server restart). A backend that needs a server (PostgreSQL) creates a database per test when made and
/// drops it in `destroy`.
public protocol StoreFactory: Sendable {
    /// Opens a store on this test's database; migrations run here.
    func open() async throws -> any DeploymentStore
    /// Removes the database once every store opened on it is closed.
    func destroy() async throws
}

/// A real SQLite file in a fresh temporary directory (the directory also holds the WAL and shared-memory files).
public struct SQLiteStoreFactory: StoreFactory {
    public let directory: String
    public var path: String { directory + "/waveline.sqlite" }

    public init() throws {
        try self.init(directory: FileManager.default.temporaryDirectory.appendingPathComponent("waveline-store-\(UUID().uuidString)").path)
    }

    /// A store file in `directory` (made if missing): a server's data folder holds it there as `waveline.sqlite`.
    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    public func open() async throws -> any DeploymentStore { try await SQLDeploymentStore.sqlite(path: path) }

    /// Writes `changes` through the store's own write path (one atomic write, as the engine and the accounts
    /// write), then closes the store: the file then holds exactly these records for whoever opens it next.
    public func seed(_ changes: [StoreChange]) async throws {
        let store = try await open()
        do {
            try await store.write(changes)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    public func destroy() async throws { try FileManager.default.removeItem(atPath: directory) }
}

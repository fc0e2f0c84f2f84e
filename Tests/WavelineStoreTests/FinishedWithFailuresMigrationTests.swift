import Foundation
import Testing
import WavelineCore
import WavelineStore
import WavelineTesting

/// Migration 11 on a database written before `finished_with_failures` existed: deployments that finished with
/// failed nodes within their budget were stored `failed`; they read as finished with failures, and the others
/// keep their status.
@Suite struct FinishedWithFailuresMigrationTests {
    @Test func oldRowsThatFinishedWithinTheBudgetReadAsFinishedWithFailures() async throws {
        let factory = try SQLiteStoreFactory()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        var store = try await factory.open()
        func stored(_ id: Int64, _ status: DeploymentStatus, _ reason: String?) -> DeploymentRecord {
            var record = Fixture.deployment(id, status: status)
            record.statusReason = reason
            return record
        }
        try await store.write([
            .saveDeployment(stored(1, .failed, "2 node(s) failed within the failure budget: n1, n2")),
            .saveDeployment(stored(2, .failed, "rollback failed on n3")),
            .saveDeployment(stored(3, .failed, "cannot run: its stored operation 'x' is unreadable; start a new deployment")),
            .saveDeployment(stored(4, .succeeded, "all nodes succeeded")),
        ])
        try await store.close()
        // As an older Waveline left it: the same rows, migration 11 not applied.
        try await AuditChainTests.tamper(factory, [
            "UPDATE deployments SET status = 'failed' WHERE id = 1",
            "DELETE FROM schema_migrations WHERE version = 11",
        ])
        store = try await factory.open()
        #expect(try await store.deployment(1)?.status == .finishedWithFailures)
        #expect(try await store.deployment(1)?.statusReason == "2 node(s) failed within the failure budget: n1, n2")
        #expect(try await store.deployment(2)?.status == .failed)
        #expect(try await store.deployment(3)?.status == .failed)
        #expect(try await store.deployment(4)?.status == .succeeded)
        #expect(try await store.deployments(DeploymentQuery(statuses: [.finishedWithFailures])).map(\.id) == [1])
        try await store.close()
    }
}

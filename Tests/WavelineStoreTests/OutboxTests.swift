import Foundation
import Testing
import WavelineCore
import WavelineStore
import WavelineTesting

/// The notifications outbox on a real SQLite file: written in the event's own transaction, or not at all.
@Suite struct OutboxTests {
    static func open(_ factory: SQLiteStoreFactory, outbox: Bool = true) async throws -> SQLDeploymentStore {
        let store = try #require(try await factory.open() as? SQLDeploymentStore)
        if outbox { await store.enableNotificationOutbox() }
        return store
    }

    static func event(_ id: Int64, _ kind: String) -> StoreChange {
        .appendEvent(EventRecord(deploymentId: id, time: 1_700_000_000, actor: "alice", kind: kind, message: kind))
    }

    @Test("A notifiable event gets its outbox rows in its write; the others, and a store without notifications, get none")
    func rowsWithTheirEvents() async throws {
        let factory = try SQLiteStoreFactory()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        let store = try await Self.open(factory)
        try await store.write([.saveDeployment(Fixture.deployment(1, status: .pendingApproval)), Self.event(1, "deployment.created")])
        try await store.write([Self.event(1, "step.started")])
        var done = Fixture.deployment(1, status: .cancelled)
        done.finishedAt = 1_700_000_010
        try await store.write([.saveDeployment(done), Self.event(1, "action.abort")])
        let kinds = try await store.outbox(of: 1).map(\.message.kind)
        #expect(kinds == [.approvalNeeded, .operatorAction, .outcome])
        let events = try await store.events(of: 1, afterID: 0, limit: 10)
        #expect(try await store.outbox(of: 1).map(\.message.eventID) == [events[0].id, events[2].id, events[2].id])
        try await store.close()

        let quiet = try await Self.open(factory, outbox: false)
        try await quiet.write([.saveDeployment(Fixture.deployment(2)), Self.event(2, "deployment.created")])
        #expect(try await quiet.outbox(of: 2).isEmpty)
        try await quiet.close()
    }

    @Test("A write that fails leaves neither the event nor its outbox row")
    func failedWriteLeavesNeither() async throws {
        let factory = try SQLiteStoreFactory()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        let store = try await Self.open(factory)
        // A phase of a deployment that does not exist breaks a foreign key: the whole write is refused.
        await #expect(throws: (any Error).self) {
            try await store.write([.savePhase(Fixture.phase(99, 0)), Self.event(99, "deployment.created")])
        }
        #expect(try await store.events(of: 99, afterID: 0, limit: 10).isEmpty)
        #expect(try await store.outbox(of: 99).isEmpty)
        #expect(try await store.openOutbox(limit: 10).isEmpty)
        // The next write gets both.
        try await store.write([.saveDeployment(Fixture.deployment(99)), Self.event(99, "deployment.created")])
        #expect(try await store.outbox(of: 99).count == 1)
        try await store.close()
    }

    @Test("Delivery state and the thread round-trip; a settled message leaves the work list")
    func deliveryState() async throws {
        let factory = try SQLiteStoreFactory()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        let store = try await Self.open(factory)
        try await store.write([.saveDeployment(Fixture.deployment(3)), Self.event(3, "deployment.created")])
        let message = try #require(try await store.openOutbox(limit: 10).first?.message)
        let delivery = NotificationDelivery(eventID: message.eventID, seq: message.seq, destination: .slack, deploymentID: 3, state: .sending,
                                            attempts: 2, lastError: "HTTP 503", nextAttemptAt: 1_700_000_100, externalReference: nil, updatedAt: 1_700_000_050)
        let thread = NotificationThread(deploymentID: 3, channel: "C0DEPLOYS1", parentTS: "1700000000.000100", state: .sent, attempts: 1,
                                        lastRenderedAt: 1_700_000_060, renderedDigest: "abc", createdAt: 1_700_000_000, updatedAt: 1_700_000_060)
        try await store.write([.saveDelivery(delivery), .saveNotificationThread(thread)])
        #expect(try await store.outbox(of: 3).first?.deliveries == [delivery])
        #expect(try await store.notificationThread(of: 3) == thread)
        #expect(try await store.openNotificationThreads(limit: 10) == [thread])
        try await store.write([.settleOutbox(eventID: message.eventID, seq: message.seq)])
        #expect(try await store.openOutbox(limit: 10).isEmpty)
        try await store.close()
    }
}

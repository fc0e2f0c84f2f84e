import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import SQLKit
import Testing
import WavelineCore
import WavelineStore
import WavelineTesting

/// The audit trail's hash chain on a real SQLite file: rows edited, deleted, reordered and inserted with raw
/// SQL, as someone with the file would, and `verify` naming the entry.
@Suite struct AuditChainTests {
    /// A store with `count` events written over several commits and one reopen; returns the factory.
    static func trail(_ count: Int = 12) async throws -> SQLiteStoreFactory {
        let factory = try SQLiteStoreFactory()
        var store = try await factory.open()
        for index in 1...count {
            if index == count / 2 {
                try await store.close()
                store = try await factory.open()
            }
            try await store.write([.appendEvent(EventRecord(
                deploymentId: index % 3 == 0 ? nil : Int64(index), time: 1_700_000_000 + Double(index) / 3,
                actor: "alice", kind: "action.pause", message: "event \(index): 'quoted' ünï",
                origin: "10.0.0.\(index)", reason: index % 2 == 0 ? "why \(index)" : nil, ticket: "CHG-\(index)"
            ))])
        }
        try await store.close()
        return factory
    }

    static func tamper(_ factory: SQLiteStoreFactory, _ statements: [String]) async throws {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: factory.path), threadPool: NIOThreadPool.singleton, logger: Logger(label: "tamper"),
            on: MultiThreadedEventLoopGroup.singleton.any()
        )
        for statement in statements { try await connection.sql().raw(SQLQueryString(statement)).run() }
        try await connection.close()
    }

    @Test func anIntactTrailVerifiesThroughTheStoreAndTheFile() async throws {
        let factory = try await Self.trail()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        let offline = try await AuditTrail.verify(sqliteFile: factory.path)
        #expect(offline.isIntact, "\(offline.summary)")
        #expect(offline.count == 12 && offline.firstId == 1 && offline.lastId == 12)
        let store = try await factory.open()
        let online = try await store.verifyAuditTrail()
        #expect(online == offline)
        let events = try await store.events(of: nil, afterID: 0, limit: 100)
        #expect(events.first?.prevHash == AuditChain.genesis)
        for (previous, event) in zip(events, events.dropFirst()) {
            #expect(event.prevHash == previous.hash)
        }
        #expect(events[3].origin == "10.0.0.4" && events[3].reason == "why 4" && events[3].ticket == "CHG-4")
        #expect(AuditTrail.jsonLine(events[0]).contains("\"prev_hash\":\"\(AuditChain.genesis)\""))
        try await store.close()
    }

    @Test func aTrailVerifiedWhileEventsAreAppendedIsIntact() async throws {
        // A running server appends while someone verifies: an event committed between reading the events and
        // the head must not look like one removed from the end.
        let factory = try await Self.trail()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        let store = try await factory.open()
        let writer = Task {
            var index = 0
            while !Task.isCancelled {
                index += 1
                try await store.write([.appendEvent(EventRecord(
                    deploymentId: nil, time: 1_700_000_100 + Double(index), actor: "bob", kind: "action.pause", message: "live \(index)"
                ))])
            }
        }
        var reports: [AuditReport] = []
        for _ in 0..<30 {
            reports.append(try await store.verifyAuditTrail())
            reports.append(try await AuditTrail.verify(sqliteFile: factory.path))
        }
        writer.cancel()
        _ = try? await writer.value
        let broken = reports.first { !$0.isIntact }
        #expect(broken == nil, "\(broken?.summary ?? "")")
        #expect((reports.last?.count ?? 0) > 12)
        try await store.close()
    }

    @Test func anEditedEntryIsNamed() async throws {
        for column in ["message = 'nothing happened'", "actor = 'mallory'", "time = time + 1", "origin = NULL", "ticket = 'CHG-0'"] {
            let factory = try await Self.trail()
            defer { try? FileManager.default.removeItem(atPath: factory.directory) }
            try await Self.tamper(factory, ["UPDATE events SET \(column) WHERE id = 4"])
            let report = try await AuditTrail.verify(sqliteFile: factory.path)
            #expect(report.problems.map(\.eventId) == [4], "\(column): \(report.summary)")
            #expect(report.problems.first?.kind == .edited, "\(column): \(report.summary)")
            #expect(report.summary.contains("#4"))
        }
    }

    @Test func anEditedAndRehashedEntryShowsAtTheNextOne() async throws {
        let factory = try await Self.trail()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        // Whoever edits and recomputes the hash of #4 cannot fix #5, which names #4's original hash.
        let store = try await factory.open()
        var forged = try await store.events(of: nil, afterID: 3, limit: 1)[0]
        try await store.close()
        forged.message = "nothing happened"
        let hash = AuditChain.hash(of: forged, prevHash: forged.prevHash ?? "")
        try await Self.tamper(factory, ["UPDATE events SET message = 'nothing happened', hash = '\(hash)' WHERE id = 4"])
        let report = try await AuditTrail.verify(sqliteFile: factory.path)
        #expect(report.problems.map(\.eventId) == [5], "\(report.summary)")
        #expect(report.problems.first?.message.contains("before event #5 was replaced") == true)
    }

    @Test func aRemovedEntryIsNamed() async throws {
        let factory = try await Self.trail()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        try await Self.tamper(factory, ["DELETE FROM events WHERE id IN (5, 6)"])
        let report = try await AuditTrail.verify(sqliteFile: factory.path)
        #expect(report.problems.map(\.kind) == [.removed], "\(report.summary)")
        #expect(report.problems.first?.eventId == 7)
        #expect(report.problems.first?.message.contains("#5–#6 were removed") == true, "\(report.summary)")
    }

    @Test func removingTheFirstOrTheLastEntriesShows() async throws {
        let first = try await Self.trail()
        defer { try? FileManager.default.removeItem(atPath: first.directory) }
        try await Self.tamper(first, ["DELETE FROM events WHERE id = 1"])
        let head = try await AuditTrail.verify(sqliteFile: first.path)
        #expect(head.problems.map(\.kind) == [.removed] && head.problems.first?.message.contains("#1") == true, "\(head.summary)")

        let last = try await Self.trail()
        defer { try? FileManager.default.removeItem(atPath: last.directory) }
        try await Self.tamper(last, ["DELETE FROM events WHERE id >= 11"])
        let tail = try await AuditTrail.verify(sqliteFile: last.path)
        #expect(tail.problems.map(\.kind) == [.removed], "\(tail.summary)")
        #expect(tail.problems.first?.message.contains("#11–#12 were removed from the end") == true, "\(tail.summary)")
    }

    @Test func reorderedEntriesAreNamed() async throws {
        let factory = try await Self.trail()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        try await Self.tamper(factory, [
            "UPDATE events SET id = -1 WHERE id = 3",
            "UPDATE events SET id = 3 WHERE id = 4",
            "UPDATE events SET id = 4 WHERE id = -1",
        ])
        let report = try await AuditTrail.verify(sqliteFile: factory.path)
        #expect(report.problems.map(\.kind) == [.reordered, .reordered], "\(report.summary)")
        #expect(report.problems.map(\.eventId) == [3, 4])
        #expect(report.problems.first?.message.contains("written as event #4") == true, "\(report.summary)")
    }

    @Test func anEntryInsertedByHandIsNamed() async throws {
        let factory = try await Self.trail()
        defer { try? FileManager.default.removeItem(atPath: factory.directory) }
        try await Self.tamper(factory, [
            "INSERT INTO events (id, deployment_id, time, actor, kind, message) VALUES (13, 1, 1700000100, 'mallory', 'action.approve', 'approved')",
        ])
        let report = try await AuditTrail.verify(sqliteFile: factory.path)
        #expect(report.problems.map(\.kind) == [.inserted], "\(report.summary)")
        #expect(report.problems.first?.eventId == 13)
        // Reopening the store does not adopt the row into the chain, and new events continue after it.
        let store = try await factory.open()
        try await store.write([.appendEvent(EventRecord(deploymentId: nil, time: 1_700_000_200, actor: "bob", kind: "x", message: "after"))])
        let again = try await store.verifyAuditTrail()
        #expect(again.problems.contains { $0.eventId == 13 && $0.kind == .inserted }, "\(again.summary)")
        try await store.close()
    }

    @Test func aFileThatIsNotAWavelineDatabaseIsRefusedClearly() async throws {
        await #expect(throws: StoreError.self) { try await AuditTrail.verify(sqliteFile: "/nonexistent/waveline.sqlite") }
    }
}

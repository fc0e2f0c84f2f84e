import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import SQLKit
import WavelineCore

extension DeploymentReader {
    /// Every event in id order (after `after`), page by page.
    public func allEvents(after start: Int64 = 0, pageSize: Int = 5000, _ body: ([EventRecord]) throws -> Void) async throws {
        var after = start
        while true {
            let page = try await events(of: nil, afterID: after, limit: pageSize)
            guard let last = page.last else { return }
            try body(page)
            after = last.id
        }
    }

    /// Checks the audit trail's hash chain (see `AuditVerifier`).
    public func verifyAuditTrail() async throws -> AuditReport {
        let (events, head) = try await AuditTrail.readTogether(
            events: { after in
                var events: [EventRecord] = []
                try await allEvents(after: after) { events += $0 }
                return events
            },
            head: { try await auditHead() }
        )
        return AuditVerifier.verify(events, head: head)
    }
}

/// Reading the audit trail of a database file directly, without a server: an auditor verifies a copy offline.
public enum AuditTrail {
    /// One JSON object per line, keys sorted, with the chain fields, as `waveline audit export` writes it.
    public static func jsonLine(_ event: EventRecord) -> String {
        JSONText.encode(event)
    }

    /// Verifies the events of the SQLite file at `path` (a server's `<data>/waveline.sqlite`, or a copy). The
    /// file is only read: no migration runs on it.
    public static func verify(sqliteFile path: String) async throws -> AuditReport {
        try await withEvents(sqliteFile: path) { database in
            let (events, head) = try await readTogether(
                events: { after in
                    try await database.raw("SELECT * FROM events WHERE id > \(bind: after) ORDER BY id").all(decoding: EventRecord.self)
                },
                head: {
                    try await database.raw("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1").first(decoding: AuditHead.self)
                }
            )
            return AuditVerifier.verify(events, head: head)
        }
    }

    /// The events and the head as they agree while a running server appends: the head is read after the
    /// events, and events committed in between are read until they reach it. Read the other way round, an
    /// event appended meanwhile looked like one removed from the end (a false alarm of tampering). Events past
    /// the head once the reads agree were added outside Waveline, and the verifier says so.
    static func readTogether(
        events: (_ after: Int64) async throws -> [EventRecord], head: () async throws -> AuditHead?
    ) async throws -> ([EventRecord], AuditHead?) {
        var read = try await events(0)
        var rounds = 0
        while true {
            let current = try await head()
            rounds += 1
            // A server appending without pause could outrun this; after many rounds the report shows the gap.
            guard let current, current.lastId > (read.last?.id ?? 0), rounds < 50 else { return (read, current) }
            read += try await events(read.last?.id ?? 0)
        }
    }

    /// Calls `body` with every event of the SQLite file at `path`, in id order, a page at a time.
    public static func export(sqliteFile path: String, _ body: @escaping @Sendable ([EventRecord]) throws -> Void) async throws {
        try await withEvents(sqliteFile: path) { database in
            var after: Int64 = 0
            while true {
                let page = try await database.raw("SELECT * FROM events WHERE id > \(bind: after) ORDER BY id LIMIT 5000")
                    .all(decoding: EventRecord.self)
                guard let last = page.last else { return }
                try body(page)
                after = last.id
            }
        }
    }

    private static func withEvents<T: Sendable>(
        sqliteFile path: String, _ body: @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError("no database at \(path): give the server's data folder (it holds waveline.sqlite)")
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: NIOThreadPool.singleton,
                logger: Logger(label: "waveline.audit"), on: MultiThreadedEventLoopGroup.singleton.any()
            )
        } catch {
            throw StoreError("cannot open the SQLite database at \(path): \(error)")
        }
        let database = connection.sql()
        do {
            let columns = try await database.raw("SELECT name FROM pragma_table_info('events')").all()
                .map { try $0.decode(column: "name", as: String.self) }
            guard !columns.isEmpty else { throw StoreError("\(path) has no events table: it is not a Waveline database") }
            guard columns.contains("hash") else {
                throw StoreError("\(path) predates the audit hash chain (migration 3): start this Waveline's server on it once")
            }
            let result = try await body(database)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

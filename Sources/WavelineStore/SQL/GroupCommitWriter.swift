import Logging
import Synchronization
import SQLKit
import WavelineCore

/// Commits the changes of many concurrent writers in one transaction: a writer waits only for the commit
/// that includes its changes. This is how every transition is stored before it is acted on without paying a
/// transaction (and an fsync) per transition.
actor GroupCommitWriter {
    private struct Pending {
        var changes: [StoreChange]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let database: any SQLDatabase
    private let logger: Logger
    private var pending: [Pending] = []
    private var committing = false
    private var idle: [CheckedContinuation<Void, Never>] = []
    private var nextEventID: Int64

    init(database: any SQLDatabase, nextEventID: Int64, logger: Logger) {
        self.database = database
        self.nextEventID = nextEventID
        self.logger = logger
    }

    func write(_ changes: [StoreChange]) async throws {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(changes: changes, continuation: continuation))
            if !committing {
                committing = true
                // The commit loop ends as soon as nothing is pending; it never outlives the writes it serves.
                Task { await self.commitLoop() }
            }
        }
    }

    func maxDeploymentID() async throws -> Int64 {
        try await database.raw("SELECT COALESCE(MAX(id), 0) AS max_id FROM deployments").first()
            .map { try $0.decode(column: "max_id", as: Int64.self) } ?? 0
    }

    /// Waits until everything written so far is committed.
    func drain() async throws {
        guard committing else { return }
        await withCheckedContinuation { idle.append($0) }
    }

    private func commitLoop() async {
        while !pending.isEmpty {
            let group = pending
            pending = []
            do {
                try await commit(group.flatMap(\.changes))
                for writer in group { writer.continuation.resume() }
            } catch {
                // One writer's bad change must not fail the others: commit each alone to find it.
                logger.warning("group commit failed; retrying writers one by one", metadata: ["error": "\(error)"])
                for writer in group {
                    do {
                        try await commit(writer.changes)
                        writer.continuation.resume()
                    } catch {
                        writer.continuation.resume(throwing: StoreError("could not store changes: \(String(reflecting: error))"))
                    }
                }
            }
        }
        committing = false
        for waiter in idle { waiter.resume() }
        idle = []
    }

    private func commit(_ changes: [StoreChange]) async throws {
        let firstEventID = nextEventID
        try await database.withSession { db in
            try await db.raw("BEGIN").run()
            do {
                var eventID = firstEventID
                for change in changes {
                    try await Self.apply(change, on: db, eventID: &eventID)
                }
                try await db.raw("COMMIT").run()
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
        nextEventID += Int64(changes.reduce(0) { count, change in
            if case .appendEvent = change { return count + 1 }
            return count
        })
    }

    private static func apply(_ change: StoreChange, on db: any SQLDatabase, eventID: inout Int64) async throws {
        switch change {
        case .saveDeployment(let record):
            try await upsert(record, into: "deployments", key: ["id"], on: db)
        case .savePhase(let record):
            try await upsert(record, into: "phases", key: ["deployment_id", "phase_index"], on: db)
        case .saveTarget(let record):
            try await upsert(record, into: "targets", key: ["deployment_id", "target_index"], on: db)
        case .saveStepRun(let record):
            try await upsert(record, into: "step_runs",
                             key: ["deployment_id", "target_index", "stage", "step_index", "attempt"], on: db)
        case .appendLogs(let lines):
            // Many rows per statement; 400 rows × 8 columns stays far below every backend's bind limit.
            var start = lines.startIndex
            while start < lines.endIndex {
                let end = min(start + 400, lines.endIndex)
                try await db.insert(into: "log_lines")
                    .models(Array(lines[start..<end]), nilEncodingStrategy: .asNil)
                    .run()
                start = end
            }
        case .appendEvent(var record):
            record.id = eventID
            eventID += 1
            try await db.insert(into: "events")
                .model(record, nilEncodingStrategy: .asNil).run()
        }
    }

    /// An upsert's SQL around its values, per table. Building it with sql-kit's builders re-escapes every
    /// column name on every row, which showed as a fifth of the server's CPU in the fan-out benchmark; the text
    /// depends only on the table and its columns, so it is built once. Values are still bound, never spliced.
    private struct UpsertText {
        var prefix: String
        var suffix: String
    }

    private static let upsertTexts = Mutex<[String: UpsertText]>([:])
    private static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    private static func upsert(
        _ record: some Encodable & Sendable, into table: String, key: [String], on db: any SQLDatabase
    ) async throws {
        let pairs = try encoder.encode(record)
        let text = upsertTexts.withLock { texts in
            if let known = texts[table] { return known }
            // Our own snake_case column names: quoted, never user input.
            let quote = { (name: String) in "\"" + name + "\"" }
            let columns = pairs.map(\.0)
            let made = UpsertText(
                prefix: "INSERT INTO \(quote(table)) (\(columns.map(quote).joined(separator: ", "))) VALUES (",
                suffix: ") ON CONFLICT (\(key.map(quote).joined(separator: ", "))) DO UPDATE SET "
                    + columns.filter { !key.contains($0) }.map { "\(quote($0)) = excluded.\(quote($0))" }.joined(separator: ", ")
            )
            texts[table] = made
            return made
        }
        var query = SQLQueryString(text.prefix)
        query.appendInterpolation(SQLList(pairs.map(\.1)))
        query.appendLiteral(text.suffix)
        try await db.raw(query).run()
    }
}

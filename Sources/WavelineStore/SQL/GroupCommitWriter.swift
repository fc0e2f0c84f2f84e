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
    /// The backend's own way to insert log lines on `database`'s connection, when it has one.
    private let logInserter: (any LogLineInserter)?
    private let logger: Logger
    private var pending: [Pending] = []
    private var committing = false
    private var idle: [CheckedContinuation<Void, Never>] = []
    private var nextEventID: Int64
    /// The newest stored event's hash: where the audit trail's chain continues.
    private var lastEventHash: String
    /// Notifiable events get their outbox rows in their own transaction (`NotificationRules`); off unless the
    /// server delivers notifications, so turning them on later does not tell old deployments' news.
    private var writesOutbox = false

    init(database: any SQLDatabase, logInserter: (any LogLineInserter)? = nil, nextEventID: Int64, lastEventHash: String, logger: Logger) {
        self.database = database
        self.logInserter = logInserter
        self.nextEventID = nextEventID
        self.lastEventHash = lastEventHash
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

    func setWritesOutbox(_ on: Bool) { writesOutbox = on }

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
                try await commit(group.map(\.changes))
                for writer in group { writer.continuation.resume() }
            } catch {
                // One writer's bad change must not fail the others: commit each alone to find it.
                logger.warning("group commit failed; retrying writers one by one", metadata: ["error": "\(error)"])
                for writer in group {
                    do {
                        try await commit([writer.changes])
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

    /// One transaction for the lists of several writers. The outbox is derived per list: what one writer stores
    /// about a deployment is what its events mean.
    private func commit(_ lists: [[StoreChange]]) async throws {
        var batch = CommitBatch()
        for changes in lists {
          let eventsBefore = batch.events.count
          for change in changes {
            switch change {
            case .saveDeployment(let record): batch.deployments.put(record, key: "\(record.id)")
            case .savePhase(let record): batch.phases.put(record, key: "\(record.deploymentId)/\(record.phaseIndex)")
            case .saveTarget(let record): batch.targets.put(record, key: "\(record.deploymentId)/\(record.targetIndex)")
            case .saveStepRun(let record):
                batch.stepRuns.put(record, key: "\(record.deploymentId)/\(record.targetIndex)/\(record.stage.rawValue)/\(record.stepIndex)/\(record.attempt)")
            case .appendLogs(let lines):
                // Usually the only log change in the group: taken as it is rather than copied line by line.
                if batch.logs.isEmpty { batch.logs = lines } else { batch.logs += lines }
            case .saveNodeState(let record): batch.nodeStates.put(record, key: record.node)
            case .appendEvent(var record):
                record.id = nextEventID + Int64(batch.events.count)
                batch.events.append(record)
            case .saveUser(let record): batch.users.put(record, key: record.name)
            case .saveToken(let record): batch.tokens.put(record, key: record.id)
            case .saveSession(let record): batch.sessions.put(record, key: record.idHash)
            case .remove(let removal): batch.removals.append(removal)
            case .saveDelivery(let delivery):
                batch.deliveries.put(DeliveryRecord(delivery), key: "\(delivery.eventID)/\(delivery.seq)/\(delivery.destination.rawValue)")
            case .saveNotificationThread(let thread): batch.threads.put(NotificationThreadRecord(thread), key: "\(thread.deploymentID)")
            case .settleOutbox(let eventID, let seq): batch.settled.append((eventID, seq))
            }
          }
          if writesOutbox, batch.events.count > eventsBefore {
              batch.outbox += Self.outbox(for: batch.events[eventsBefore...], in: changes)
          }
        }
        // Events are chained in id order, here where their ids are assigned; the chain advances only if the
        // transaction commits.
        let chainEnd = AuditChain.seal(&batch.events, after: lastEventHash)
        let frozen = batch
        let logInserter = self.logInserter
        try await database.withSession { db in
            try await db.raw("BEGIN").run()
            do {
                // Parents before children, so foreign keys hold at every statement.
                try await Self.upsert(frozen.deployments.values, into: "deployments", key: ["id"], on: db)
                try await Self.upsert(frozen.phases.values, into: "phases", key: ["deployment_id", "phase_index"], on: db)
                try await Self.upsert(frozen.targets.values, into: "targets", key: ["deployment_id", "target_index"], on: db)
                try await Self.upsert(frozen.stepRuns.values, into: "step_runs",
                                      key: ["deployment_id", "target_index", "stage", "step_index", "attempt"], on: db)
                try await Self.upsert(frozen.nodeStates.values, into: "node_states", key: ["node"], on: db)
                // Removals first: a user removed and made again in one group ends up made.
                for removal in frozen.removals { try await Self.apply(removal, on: db) }
                try await Self.upsert(frozen.users.values, into: "users", key: ["name"], on: db)
                try await Self.upsert(frozen.tokens.values, into: "api_tokens", key: ["id"], on: db)
                try await Self.upsert(frozen.sessions.values, into: "sessions", key: ["id_hash"], on: db)
                if let logInserter {
                    try await logInserter.insert(frozen.logs)
                } else {
                    try await Self.insertLogs(frozen.logs, on: db)
                }
                try await Self.insert(frozen.events, into: "events", on: db)
                try await Self.insert(frozen.outbox, into: "outbox", on: db)
                try await Self.upsert(frozen.deliveries.values, into: "deliveries", key: ["event_id", "seq", "destination"], on: db)
                try await Self.upsert(frozen.threads.values, into: "notification_threads", key: ["deployment_id"], on: db)
                for (eventID, seq) in frozen.settled {
                    try await db.raw("UPDATE outbox SET settled = 1 WHERE event_id = \(bind: eventID) AND seq = \(bind: seq)").run()
                }
                if let last = frozen.events.last {
                    try await Self.recordAuditHead(AuditHead(lastId: last.id, lastHash: chainEnd), on: db)
                }
                try await db.raw("COMMIT").run()
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
        nextEventID += Int64(batch.events.count)
        lastEventHash = chainEnd
    }

    static func recordAuditHead(_ head: AuditHead, on db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO audit_head (singleton, last_id, last_hash) VALUES (1, \(bind: head.lastId), \(bind: head.lastHash))
            ON CONFLICT (singleton) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash
            """).run()
    }

    /// One transaction's rows, one list per table. A row written twice in the group keeps its last version
    /// (the order writers committed in), so each table takes one multi-row statement.
    private struct CommitBatch {
        var deployments = LastWriteWins<DeploymentRecord>()
        var phases = LastWriteWins<PhaseRecord>()
        var targets = LastWriteWins<TargetRecord>()
        var stepRuns = LastWriteWins<StepRunRecord>()
        var nodeStates = LastWriteWins<NodeStateRecord>()
        var logs: [LogLineRecord] = []
        var events: [EventRecord] = []
        var users = LastWriteWins<UserRecord>()
        var tokens = LastWriteWins<APITokenRecord>()
        var sessions = LastWriteWins<SessionRecord>()
        var removals: [IdentityRemoval] = []
        var outbox: [OutboxRecord] = []
        var deliveries = LastWriteWins<DeliveryRecord>()
        var threads = LastWriteWins<NotificationThreadRecord>()
        var settled: [(Int64, Int)] = []
    }

    /// The outbox rows of `events` (ids assigned), from what the same writer's `changes` store about each event's
    /// deployment.
    private static func outbox(for events: ArraySlice<EventRecord>, in changes: [StoreChange]) -> [OutboxRecord] {
        var rows: [OutboxRecord] = []
        // One outcome per deployment per write, however many of its events the write holds.
        var outcomeTold: Set<Int64> = []
        for event in events {
            guard let deploymentID = event.deploymentId else { continue }
            var facts = NotificationRules.WriteFacts()
            for change in changes {
                switch change {
                case .saveDeployment(let record) where record.id == deploymentID: facts.deploymentStatus = record.status
                case .savePhase(let record) where record.deploymentId == deploymentID && record.status == .gate:
                    facts.phasesAtGate.append(record.phaseIndex)
                case .saveTarget(let record) where record.deploymentId == deploymentID && record.status == .failed:
                    facts.failedTargets.append(record.targetIndex)
                default: continue
                }
            }
            var notices = NotificationRules.notices(eventKind: event.kind, facts: facts)
            if notices.contains(where: { $0.kind == .outcome }) {
                if outcomeTold.contains(deploymentID) { notices.removeAll { $0.kind == .outcome } }
                outcomeTold.insert(deploymentID)
            }
            for (seq, notice) in notices.enumerated() {
                rows.append(OutboxRecord(eventId: event.id, seq: seq, deploymentId: deploymentID, kind: notice.kind.rawValue,
                                         subject: notice.subject, action: notice.action, actor: event.actor, reason: event.reason,
                                         createdAt: event.time, settled: 0))
            }
        }
        return rows
    }

    private static func apply(_ removal: IdentityRemoval, on db: any SQLDatabase) async throws {
        switch removal {
        case .user(let name):
            // Tokens and sessions go with the user (ON DELETE CASCADE).
            try await db.delete(from: "users").where("name", .equal, SQLBind(name)).run()
        case .session(let idHash):
            try await db.delete(from: "sessions").where("id_hash", .equal, SQLBind(idHash)).run()
        case .sessions(let user):
            try await db.delete(from: "sessions").where("user_name", .equal, SQLBind(user)).run()
        case .sessionsExpired(let time):
            try await db.delete(from: "sessions").where("expires_at", .lessThan, SQLBind(time)).run()
        }
    }

    private struct LastWriteWins<Record: Sendable>: Sendable {
        private(set) var values: [Record] = []
        private var positions: [String: Int] = [:]

        mutating func put(_ record: Record, key: String) {
            if let position = positions[key] {
                values[position] = record
            } else {
                positions[key] = values.count
                values.append(record)
            }
        }
    }

    /// Rows per statement: far below every backend's bind limit (SQLite 32,766; PostgreSQL 65,535).
    private static let rowsPerStatement = 200

    /// A table's insert (or upsert) SQL around its rows. Building it with sql-kit's builders re-escapes every
    /// column name on every row, which showed as a fifth of the server's CPU in the fan-out benchmark; the text
    /// depends only on the table and its columns, so it is built once. Values are still bound, never spliced.
    private struct UpsertText {
        var prefix: String
        var suffix: String
    }

    private static let upsertTexts = Mutex<[String: UpsertText]>([:])
    private static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    private static let logInsertPrefix = "INSERT INTO \"log_lines\" (\"id\", \"deployment_id\", \"target_index\", \"seq\", \"time\", \"stream\", \"step\", \"text\") VALUES "

    /// Log lines, the bulk of what is written: their binds are made directly rather than through the Codable
    /// encoder, which cost more than SQLite itself at a few hundred thousand lines a second.
    private static func insertLogs(_ lines: [LogLineRecord], on db: any SQLDatabase) async throws {
        var start = 0
        while start < lines.count {
            let end = min(start + rowsPerStatement, lines.count)
            var query = SQLQueryString(logInsertPrefix)
            for index in start..<end {
                let line = lines[index]
                query.appendLiteral(index == start ? "(" : ", (")
                query.appendInterpolation(SQLList([
                    SQLBind(line.id), SQLBind(line.deploymentId), SQLBind(line.targetIndex), SQLBind(line.seq),
                    SQLBind(line.time), SQLBind(line.stream.rawValue), line.step.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null,
                    SQLBind(line.text),
                ]))
                query.appendLiteral(")")
            }
            try await db.raw(query).run()
            start = end
        }
    }

    private static func upsert<Record: Encodable & Sendable>(
        _ records: [Record], into table: String, key: [String], on db: any SQLDatabase
    ) async throws {
        try await write(records, into: table, conflictKey: key, on: db)
    }

    private static func insert<Record: Encodable & Sendable>(_ records: [Record], into table: String, on db: any SQLDatabase) async throws {
        try await write(records, into: table, conflictKey: nil, on: db)
    }

    private static func write<Record: Encodable & Sendable>(
        _ records: [Record], into table: String, conflictKey: [String]?, on db: any SQLDatabase
    ) async throws {
        guard let first = records.first else { return }
        let columns = try encoder.encode(first).map(\.0)
        let text = upsertTexts.withLock { texts in
            if let known = texts[table] { return known }
            // Our own snake_case column names: quoted, never user input.
            let quote = { (name: String) in "\"" + name + "\"" }
            var suffix = ""
            if let key = conflictKey {
                suffix = " ON CONFLICT (\(key.map(quote).joined(separator: ", "))) DO UPDATE SET "
                    + columns.filter { !key.contains($0) }.map { "\(quote($0)) = excluded.\(quote($0))" }.joined(separator: ", ")
            }
            let made = UpsertText(prefix: "INSERT INTO \(quote(table)) (\(columns.map(quote).joined(separator: ", "))) VALUES ", suffix: suffix)
            texts[table] = made
            return made
        }
        var start = 0
        while start < records.count {
            let end = min(start + rowsPerStatement, records.count)
            var query = SQLQueryString(text.prefix)
            for index in start..<end {
                query.appendLiteral(index == start ? "(" : ", (")
                query.appendInterpolation(SQLList(try encoder.encode(records[index]).map(\.1)))
                query.appendLiteral(")")
            }
            query.appendLiteral(text.suffix)
            try await db.raw(query).run()
            start = end
        }
    }
}

import Foundation
import Logging
import SQLKit
import Synchronization
import WavelineCore

/// The store over sql-kit: the same queries on every backend. Writes go through one `GroupCommitWriter`,
/// reads through their own database handle, so readers never wait behind a write transaction.
public final class SQLDeploymentStore: DeploymentStore, WriteCounting {
    private let writer: GroupCommitWriter
    private let writes = Atomic<UInt64>(0)
    let reader: any SQLDatabase
    private let onClose: @Sendable () async throws -> Void

    /// `writeDatabase` must be a single session (one connection) because transactions span several queries.
    public convenience init(
        writeDatabase: any SQLDatabase, readDatabase: any SQLDatabase, logger: Logger,
        onClose: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await self.init(writeDatabase: writeDatabase, logInserter: nil, readDatabase: readDatabase, logger: logger, onClose: onClose)
    }

    /// `logInserter` inserts log lines on `writeDatabase`'s connection, when the backend has a faster way.
    init(
        writeDatabase: any SQLDatabase, logInserter: (any LogLineInserter)?, readDatabase: any SQLDatabase, logger: Logger,
        onClose: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await Migrator.migrate(writeDatabase, logger: logger)
        let maxEvent = try await writeDatabase.raw("SELECT COALESCE(MAX(id), 0) AS max_id FROM events").first()
            .map { try $0.decode(column: "max_id", as: Int64.self) } ?? 0
        let lastHash = try await Self.chainLegacyEvents(writeDatabase, logger: logger)
        self.writer = GroupCommitWriter(database: writeDatabase, logInserter: logInserter, nextEventID: maxEvent + 1, lastEventHash: lastHash, logger: logger)
        self.reader = readDatabase
        self.onClose = onClose
    }

    public func write(_ changes: [StoreChange]) async throws {
        guard !changes.isEmpty else { return }
        // Counted even when it fails: at worst a cache reads once more than it needed to. Log lines alone are not
        // counted (see `WriteCounting`).
        let onlyLogs = changes.allSatisfy { if case .appendLogs = $0 { return true } else { return false } }
        defer { if !onlyLogs { writes.add(1, ordering: .sequentiallyConsistent) } }
        try await writer.write(changes)
    }

    /// From now on every notifiable event's outbox rows are written in its transaction (`NotificationRules`).
    /// Called by a server that delivers notifications, before anything is written.
    public func enableNotificationOutbox() async {
        await writer.setWritesOutbox(true)
    }

    public var writeCount: UInt64? { writes.load(ordering: .sequentiallyConsistent) }

    public func nextDeploymentID() async throws -> Int64 {
        // Read on the writer: a deployment inserted a moment ago must count.
        try await writer.maxDeploymentID() + 1
    }

    public func maxLogLineID() async throws -> Int64 {
        try await reader.raw("SELECT COALESCE(MAX(id), 0) AS max_id FROM log_lines").first()
            .map { try $0.decode(column: "max_id", as: Int64.self) } ?? 0
    }

    public func deployment(_ id: Int64) async throws -> DeploymentRecord? {
        try await reader.select().column("*").from("deployments").where("id", .equal, SQLBind(id))
            .first(reading: DeploymentRecord.init(row:))
    }

    public func deployments(_ query: DeploymentQuery) async throws -> [DeploymentRecord] {
        let select = reader.select().column("*").from("deployments")
        if !query.statuses.isEmpty {
            select.where("status", .in, SQLBind.group(query.statuses.map(\.rawValue)))
        }
        // Environments and products are comma-joined lists: match one whole item, literally.
        for (column, value) in [("environments", query.environment), ("products", query.product)] {
            guard let value else { continue }
            if value.contains(",") { return [] }
            let literal = Self.likeLiteral(value)
            select.where(SQLQueryString("(',' || \(ident: column) || ',') LIKE \(bind: "%," + literal + ",%") ESCAPE '\\'"))
        }
        if let person = query.requestedBy { select.where("requested_by", .equal, SQLBind(person)) }
        if let text = query.text?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let pattern = "%" + Self.likeLiteral(text.lowercased()) + "%"
            var clause = SQLQueryString("(")
            for (index, column) in ["operation", "reason", "ticket", "requested_by", "environments", "products"].enumerated() {
                clause.appendLiteral(index == 0 ? "" : " OR ")
                clause.appendInterpolation(SQLQueryString("LOWER(COALESCE(\(ident: column), '')) LIKE \(bind: pattern) ESCAPE '\\'"))
            }
            if let id = Int64(text.hasPrefix("#") ? String(text.dropFirst()) : text) {
                clause.appendInterpolation(SQLQueryString(" OR id = \(bind: id)"))
            }
            clause.appendLiteral(")")
            select.where(clause)
        }
        if let before = query.beforeID { select.where("id", .lessThan, SQLBind(before)) }
        return try await select.orderBy("id", .descending).limit(max(1, min(query.limit, 1000)))
            .all(reading: DeploymentRecord.init(row:))
    }

    public func unfinishedDeployments() async throws -> [DeploymentRecord] {
        let final = DeploymentStatus.allCases.filter(\.isFinal).map(\.rawValue)
        return try await reader.select().column("*").from("deployments")
            .where("status", .notIn, SQLBind.group(final)).orderBy("id")
            .all(reading: DeploymentRecord.init(row:))
    }

    public func phases(of deploymentID: Int64) async throws -> [PhaseRecord] {
        try await reader.select().column("*").from("phases").where("deployment_id", .equal, SQLBind(deploymentID))
            .orderBy("phase_index").all(reading: PhaseRecord.init(row:))
    }

    public func targets(of deploymentID: Int64) async throws -> [TargetRecord] {
        try await reader.select().column("*").from("targets").where("deployment_id", .equal, SQLBind(deploymentID))
            .orderBy("target_index").all(decoding: TargetRecord.self)
    }

    public func stepRuns(of deploymentID: Int64, target: Int?) async throws -> [StepRunRecord] {
        let select = reader.select().column("*").from("step_runs")
            .where("deployment_id", .equal, SQLBind(deploymentID))
        if let target { select.where("target_index", .equal, SQLBind(target)) }
        return try await select.orderBy("target_index").orderBy("started_at").orderBy("attempt")
            .all(decoding: StepRunRecord.self)
    }

    public func logLines(of deploymentID: Int64, targets: [Int]?, afterID: Int64, limit: Int) async throws -> [LogLineRecord] {
        if targets == nil, let lines = try await logLinesInIDRange(of: deploymentID, afterID: afterID, limit: limit) { return lines }
        let select = reader.select().column("*").from("log_lines")
            .where("deployment_id", .equal, SQLBind(deploymentID))
            .where("id", .greaterThan, SQLBind(afterID))
        if let targets { select.where("target_index", .in, SQLBind.group(targets)) }
        return try await select.orderBy("id").limit(max(1, limit))
            .all(reading: LogLineRecord.init(row:))
    }

    /// Every node's lines in id order. `log_lines_target` orders one node's lines, not a deployment's: asked
    /// for the deployment, the database sorted all of its lines for every page (270 ms a page for a log of a
    /// million lines, so a follower far behind a busy node never caught up). Instead the lines are read in the
    /// order of the ids, between the deployment's first and last line, found per node in `log_lines_target`;
    /// the ids in between are mostly the deployment's own. An index on `(deployment_id, id)` would do the same
    /// but cost every insert a fourth B-tree: a sixth of the log pipeline's capacity, measured.
    /// Nil when the deployment has no targets (lines written without them, as some tests do): no span to find.
    private func logLinesInIDRange(of deploymentID: Int64, afterID: Int64, limit: Int) async throws -> [LogLineRecord]? {
        let span = try await reader.raw("""
            SELECT COUNT(*) AS targets, MIN(first_id) AS first_id, MAX(last_id) AS last_id FROM (
                SELECT (SELECT MIN(id) FROM log_lines l WHERE l.deployment_id = t.deployment_id AND l.target_index = t.target_index) AS first_id,
                    (SELECT MAX(id) FROM log_lines l WHERE l.deployment_id = t.deployment_id AND l.target_index = t.target_index) AS last_id
                FROM targets t WHERE t.deployment_id = \(bind: deploymentID)
            ) AS spans
            """).first()
        guard let span, try span.int("targets") > 0 else { return nil }
        guard let first = try span.optionalInt64("first_id"), let last = try span.optionalInt64("last_id"), last > afterID else { return [] }
        // `+deployment_id` keeps the database from choosing `log_lines_target` (and a sort) over the id range.
        return try await reader.raw("""
            SELECT * FROM log_lines WHERE id > \(bind: max(afterID, first - 1)) AND id <= \(bind: last)
            AND +deployment_id = \(bind: deploymentID) ORDER BY id LIMIT \(bind: max(1, limit))
            """).all(reading: LogLineRecord.init(row:))
    }

    public func lastLogLines(of deploymentID: Int64, target: Int, count: Int) async throws -> [LogLineRecord] {
        try await reader.select().column("*").from("log_lines")
            .where("deployment_id", .equal, SQLBind(deploymentID))
            .where("target_index", .equal, SQLBind(target))
            .orderBy("id", .descending).limit(max(1, count))
            .all(reading: LogLineRecord.init(row:))
            .reversed()
    }

    public func events(of deploymentID: Int64?, afterID: Int64, limit: Int) async throws -> [EventRecord] {
        let select = reader.select().column("*").from("events").where("id", .greaterThan, SQLBind(afterID))
        if let deploymentID { select.where("deployment_id", .equal, SQLBind(deploymentID)) }
        return try await select.orderBy("id").limit(max(1, limit))
            .all(decoding: EventRecord.self)
    }

    public func events(_ query: EventQuery) async throws -> [EventRecord] {
        let select = reader.select().column("*").from("events").where("id", .greaterThan, SQLBind(query.afterID))
        if let deploymentID = query.deploymentID { select.where("deployment_id", .equal, SQLBind(deploymentID)) }
        if !query.kinds.isEmpty { select.where("kind", .in, SQLBind.group(query.kinds)) }
        if let actor = query.actor { select.where("actor", .equal, SQLBind(actor)) }
        if let prefix = query.kindPrefix {
            select.where(SQLQueryString("kind LIKE \(bind: Self.likeLiteral(prefix) + "%") ESCAPE '\\'"))
        }
        if let before = query.beforeID { select.where("id", .lessThan, SQLBind(before)) }
        return try await select.orderBy("id", query.newestFirst ? .descending : .ascending).limit(max(1, query.limit))
            .all(decoding: EventRecord.self)
    }

    public func nodeStates() async throws -> [NodeStateRecord] {
        try await reader.select().column("*").from("node_states").orderBy("node")
            .all(decoding: NodeStateRecord.self)
    }

    public func nodeState(named node: String) async throws -> NodeStateRecord? {
        try await reader.select().column("*").from("node_states").where("node", .equal, SQLBind(node))
            .first(decoding: NodeStateRecord.self)
    }

    public func nodeHistory(node: String, limit: Int, before: NodeRunCursor?) async throws -> [NodeRunRecord] {
        var query = SQLQueryString("""
            SELECT t.deployment_id, t.target_index, t.node, t.cluster, t.zone, t.environment, t.product, t.kind,
                t.phase_index, t.status, t.attempt, t.current_step, t.failure_json, t.started_at, t.finished_at,
                d.operation, d.status AS deployment_status, d.requested_by, d.parameters_json
            FROM targets t JOIN deployments d ON d.id = t.deployment_id
            WHERE t.node = \(bind: node)
            """)
        if let before {
            if let target = before.targetIndex {
                query.appendInterpolation(SQLQueryString(
                    " AND (t.deployment_id < \(bind: before.deploymentId) OR (t.deployment_id = \(bind: before.deploymentId) AND t.target_index < \(bind: target)))"
                ))
            } else {
                query.appendInterpolation(SQLQueryString(" AND t.deployment_id < \(bind: before.deploymentId)"))
            }
        }
        query.appendInterpolation(SQLQueryString(" ORDER BY t.deployment_id DESC, t.target_index DESC LIMIT \(bind: max(1, min(limit, 1000)))"))
        return try await reader.raw(query).all(decoding: NodeRunRecord.self)
    }

    public func auditHead() async throws -> AuditHead? {
        try await reader.raw("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1").first(decoding: AuditHead.self)
    }

    /// Where the audit chain continues. The first open after migration 3 chains the events written before it
    /// (they had no hash) and records the head; from then on the head exists and rows without a hash are never
    /// chained by Waveline, so one added by hand stays visible to `audit verify`.
    private static func chainLegacyEvents(_ database: any SQLDatabase, logger: Logger) async throws -> String {
        if let head = try await database.raw("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1").first(decoding: AuditHead.self) {
            return head.lastHash
        }
        var events = try await database.raw("SELECT * FROM events ORDER BY id").all(decoding: EventRecord.self)
        guard let last = events.last else { return AuditChain.genesis }
        logger.info("chaining the audit trail's earlier events", metadata: ["count": "\(events.count)"])
        let end = AuditChain.seal(&events, after: AuditChain.genesis)
        try await database.raw("BEGIN").run()
        do {
            for event in events {
                try await database.raw("""
                    UPDATE events SET origin = \(bind: event.origin), prev_hash = \(bind: event.prevHash), hash = \(bind: event.hash)
                    WHERE id = \(bind: event.id)
                    """).run()
            }
            try await GroupCommitWriter.recordAuditHead(AuditHead(lastId: last.id, lastHash: end), on: database)
            try await database.raw("COMMIT").run()
        } catch {
            try? await database.raw("ROLLBACK").run()
            throw StoreError("could not chain the audit trail's earlier events: \(String(reflecting: error))")
        }
        return end
    }

    /// A value matched literally inside a LIKE pattern (with `ESCAPE '\\'`).
    static func likeLiteral(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    public func close() async throws {
        try await writer.drain()
        try await onClose()
    }
}

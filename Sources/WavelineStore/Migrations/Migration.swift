import Logging
import SQLKit
import WavelineCore

/// A schema change: plain SQL, numbered, applied once, in its own transaction, never edited after it ships.
/// The SQL uses types both SQLite and PostgreSQL accept (BIGINT, INTEGER, DOUBLE PRECISION, TEXT).
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }

    /// Every migration, in order. Add new ones at the end; never change one that has shipped.
    public static let all: [Migration] = [.m001Deployments, .m002NodeStates, .m003AuditAndApprovals, .m004SummaryIndexes, .m005Identities, .m007SealedParameters, .m008SlackUserIDs, .m009Notifications, .m010DeploymentTickets, .m011FinishedWithFailures]
}

enum Migrator {
    static func migrate(_ database: any SQLDatabase, logger: Logger) async throws {
        try await database.raw("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)
            """).run()
        let applied = try await database.raw("SELECT version FROM schema_migrations").all()
            .map { try $0.decode(column: "version", as: Int.self) }
        let known = Set(Migration.all.map(\.version))
        if let unknown = applied.first(where: { !known.contains($0) }) {
            throw StoreError("the database has migration \(unknown), which this Waveline does not know: it was written by a newer version")
        }
        for migration in Migration.all where !applied.contains(migration.version) {
            logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            try await database.raw("BEGIN").run()
            do {
                for statement in migration.statements {
                    try await database.raw(SQLQueryString(statement)).run()
                }
                try await database.insert(into: "schema_migrations")
                    .columns("version", "name", "applied_at")
                    .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(SystemTime().now()))
                    .run()
                try await database.raw("COMMIT").run()
            } catch {
                try? await database.raw("ROLLBACK").run()
                throw StoreError("migration \(migration.version) (\(migration.name)) failed: \(String(reflecting: error))")
            }
        }
    }
}

import SQLiteKit
import WavelineCore

/// Inserts log lines on the SQLite writer connection, inside the transaction the group commit opened there.
///
/// The bulk of what Waveline writes, so it skips sql-kit: rows are bound as `SQLiteData` directly, not
/// serialized into a query and then encoded value by value through `Codable` (together more CPU than SQLite's
/// own insert at a few hundred thousand lines a second).
struct SQLiteLogInserter: LogLineInserter {
    let connection: SQLiteConnection

    /// Rows per statement: 16,000 binds, below this SQLite's limit of 32,766. SQLiteNIO prepares every
    /// statement anew and runs each on its thread pool, so fewer, longer statements mean fewer round trips.
    static let rowsPerStatement = 2000
    private static let fullStatement = statement(rows: rowsPerStatement)

    private static func statement(rows: Int) -> String {
        // Without blanks: SQLite's tokenizer reads every one of them, at every prepare.
        "INSERT INTO log_lines(id,deployment_id,target_index,seq,time,stream,step,text)VALUES"
            + repeatElement("(?,?,?,?,?,?,?,?)", count: rows).joined(separator: ",")
    }

    func insert(_ lines: [LogLineRecord]) async throws {
        var start = 0
        while start < lines.count {
            let end = min(start + Self.rowsPerStatement, lines.count)
            var binds: [SQLiteData] = []
            binds.reserveCapacity((end - start) * 8)
            for line in lines[start..<end] {
                binds.append(.integer(Int(line.id)))
                binds.append(.integer(Int(line.deploymentId)))
                binds.append(.integer(line.targetIndex))
                binds.append(.integer(line.seq))
                binds.append(.float(line.time))
                binds.append(.text(line.stream.rawValue))
                binds.append(line.step.map { .text($0) } ?? .null)
                binds.append(.text(line.text))
            }
            let sql = end - start == Self.rowsPerStatement ? Self.fullStatement : Self.statement(rows: end - start)
            _ = try await connection.query(sql, binds)
            start = end
        }
    }
}

/// Writes log lines within the group commit's transaction, on its connection; a backend's faster path than
/// the generic sql-kit insert.
protocol LogLineInserter: Sendable {
    func insert(_ lines: [LogLineRecord]) async throws
}

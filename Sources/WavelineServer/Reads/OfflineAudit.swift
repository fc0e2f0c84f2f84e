import WavelineCore
import WavelineStore

/// The audit trail of a database file read directly, without a server (`waveline audit --data`): an auditor
/// checks a copy offline. The file is only read. The CLI reaches the store through here only.
public enum OfflineAudit {
    /// Why the file could not be read, in one sentence.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Checks the hash chain of the SQLite file at `path` (a server's `<data>/waveline.sqlite`, or a copy).
    public static func verify(sqliteFile path: String) async throws -> AuditReport {
        do {
            return try await AuditTrail.verify(sqliteFile: path)
        } catch let error as StoreError {
            throw Failure(description: error.description)
        }
    }

    /// Every event of the SQLite file at `path`, oldest first, as JSON lines (with prev_hash and hash), handed
    /// to `write` a page at a time.
    public static func export(sqliteFile path: String, _ write: @escaping @Sendable (String) -> Void) async throws {
        do {
            try await AuditTrail.export(sqliteFile: path) { page in
                write(page.map { AuditTrail.jsonLine($0) + "\n" }.joined())
            }
        } catch let error as StoreError {
            throw Failure(description: error.description)
        }
    }
}

import WavelineCore
import WavelineServer

/// `waveline audit --data`: the trail read from a data folder's database file, without a server. The one client
/// command that reads a data folder, so the one besides `serve` and `demo` that links the server side.
enum AuditDataFolder {
    static func verify(sqliteFile file: String) async throws -> AuditReport {
        do {
            return try await OfflineAudit.verify(sqliteFile: file)
        } catch let error as OfflineAudit.Failure {
            throw CLIError(error.description)
        }
    }

    static func export(sqliteFile file: String, _ write: @escaping @Sendable (String) -> Void) async throws {
        do {
            try await OfflineAudit.export(sqliteFile: file, write)
        } catch let error as OfflineAudit.Failure {
            throw CLIError(error.description)
        }
    }
}

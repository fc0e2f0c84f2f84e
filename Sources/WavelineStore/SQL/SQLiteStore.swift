import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import WavelineCore

extension SQLDeploymentStore {
    /// Opens (creating if needed) a SQLite store in one file, in WAL mode: readers do not block the writer.
    /// `synchronous=NORMAL` under WAL keeps every committed transaction through a process crash (`kill -9`);
    /// only a power loss may lose the last few commits.
    public static func sqlite(path: String, logger: Logger = Logger(label: "waveline.store")) async throws -> SQLDeploymentStore {
        let threadPool = NIOThreadPool.singleton
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        let writeConnection: SQLiteConnection
        let readConnection: SQLiteConnection
        do {
            writeConnection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
        } catch {
            throw StoreError("cannot open the SQLite database at \(path): \(error)")
        }
        do {
            readConnection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop)
        } catch {
            try? await closeEvenIfCancelled([writeConnection])
            throw StoreError("cannot open the SQLite database at \(path): \(error)")
        }
        do {
            let writer = writeConnection.sql()
            let reader = readConnection.sql()
            // A 64 MiB page cache for the writer: with SQLite's 2 MiB default, a transaction of tens of thousands of
            // log lines spilled index pages to the WAL mid-transaction and wrote them again at commit.
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000", "PRAGMA foreign_keys=ON",
                           "PRAGMA cache_size=-65536"] {
                try await writer.raw(SQLQueryString(pragma)).run()
            }
            // LIKE matches case-sensitively, as on PostgreSQL, so filters mean the same on every backend.
            for pragma in ["PRAGMA busy_timeout=10000", "PRAGMA case_sensitive_like=ON"] {
                try await reader.raw(SQLQueryString(pragma)).run()
            }
            return try await SQLDeploymentStore(
                writeDatabase: writer, logInserter: SQLiteLogInserter(connection: writeConnection), readDatabase: reader, logger: logger
            ) {
                try await closeEvenIfCancelled([writeConnection, readConnection])
            }
        } catch {
            // A store that cannot open leaves no connection behind.
            try? await closeEvenIfCancelled([writeConnection, readConnection])
            if error is StoreError { throw error }
            throw StoreError("cannot use the SQLite database at \(path): \(error)")
        }
    }
}

/// Closes every connection, the later ones too when one fails. In its own task: closing runs on NIO's thread
/// pool, which skips work asked for by a cancelled task, and a connection left open is a crash (an assertion)
/// when it is released; a server that fails to start or is stopped runs this from a cancelled task.
private func closeEvenIfCancelled(_ connections: [SQLiteConnection]) async throws {
    try await Task {
        var failure: (any Error)?
        for connection in connections {
            do { try await connection.close() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }.value
}

import ArgumentParser
import Foundation
import NIOCore
import WavelineAPI
import WavelineCore

/// `waveline audit verify|export`: the audit trail, through the server or straight from a data folder (a copy
/// of a server's, for an auditor working offline).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify or export the tamper-evident audit trail.",
        subcommands: [AuditVerifyCommand.self, AuditExportCommand.self]
    )
}

/// Where the trail is read: a data folder (or database file) given with --data, else the server.
struct AuditSource: ParsableArguments {
    @Option(name: .long, help: "Read this data folder (or its waveline.sqlite, or a copy) directly, without a server.")
    var data: String?
    @OptionGroup var client: ClientOptions

    /// The SQLite file --data names.
    var databaseFile: String? {
        guard let data else { return nil }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue {
            return (data as NSString).appendingPathComponent("waveline.sqlite")
        }
        return data
    }
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain: names every edited, removed, reordered or inserted entry. Exits 1 if any.",
        discussion: "Keep the last hash it prints: if a later run shows another hash for that entry, the trail was rewritten."
    )
    @OptionGroup var source: AuditSource
    @Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        let report: AuditReport
        if let file = source.databaseFile {
            report = try await AuditDataFolder.verify(sqliteFile: file)
        } else {
            report = try await reporting { try await source.client.client.get("/api/v1/audit/verify", as: AuditReport.self) }
        }
        if json { try printJSON(report) } else { print(report.summary) }
        if !report.isIntact { throw ExitCode(1) }
    }
}

struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every event, oldest first, as JSON lines (with prev_hash and hash) to standard output."
    )
    @OptionGroup var source: AuditSource

    func run() async throws {
        let output = FileHandle.standardOutput
        if let file = source.databaseFile {
            try await AuditDataFolder.export(sqliteFile: file) { lines in
                output.write(Data(lines.utf8))
            }
        } else {
            try await reporting {
                try await source.client.client.getStream("/api/v1/audit/export") { chunk in
                    output.write(Data(chunk.readableBytesView))
                }
            }
        }
    }
}

import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteKit
import SQLKit
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// `waveline audit verify|export`, through the server and offline on a copy of the data folder.
@Suite(.serialized) struct AuditTrailCLITests {
    static let quick = """
        name: quick
        steps:
          - {name: work, run: ["true"]}
        """

    @Test func verifyAndExportThroughTheServerAndOfflineAndTamperingIsNamed() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["quick": Self.quick])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("quick", selection: Selection(nodes: ["n1", "n2"])).deployment.id
            _ = try await server.waitUntilFinal(id)
            let verify = try await server.cli(["audit", "verify"])
            #expect(verify.exitCode == 0 && verify.stdout.contains("audit trail intact"), "\(verify)")
            let report: AuditReport = try await server.get("/api/v1/audit/verify")
            #expect(report.isIntact && report.count >= 4)
            let export = try await server.cli(["audit", "export"])
            let lines = export.stdout.split(separator: "\n")
            #expect(lines.count == report.count, "\(export)")
            #expect(lines.first?.contains("\"prev_hash\":\"\(AuditChain.genesis)\"") == true)
            #expect(lines.last?.contains("\"hash\":\"\(report.lastHash ?? "-")\"") == true)
        }
        // An auditor's copy, offline.
        let copy = bench.root + "/copy"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: bench.data + "/waveline.sqlite", toPath: copy + "/waveline.sqlite")
        let intact = try await runWaveline(["audit", "verify", "--data", copy])
        #expect(intact.exitCode == 0 && intact.stdout.contains("intact"), "\(intact)")
        let offlineExport = try await runWaveline(["audit", "export", "--data", copy])
        #expect(offlineExport.exitCode == 0 && offlineExport.stdout.contains("\"kind\":\"deployment.created\""), "\(offlineExport)")

        let connection = try await SQLiteConnection.open(
            storage: .file(path: copy + "/waveline.sqlite"), threadPool: NIOThreadPool.singleton,
            logger: Logger(label: "tamper"), on: MultiThreadedEventLoopGroup.singleton.any()
        )
        try await connection.sql().raw("UPDATE events SET actor = 'mallory' WHERE id = 2").run()
        try await connection.close()
        let tampered = try await runWaveline(["audit", "verify", "--data", copy])
        #expect(tampered.exitCode == 1, "\(tampered)")
        #expect(tampered.stdout.contains("TAMPERED") && tampered.stdout.contains("#2 edited"), "\(tampered)")
        let json = try await runWaveline(["audit", "verify", "--data", copy, "--json"])
        let parsed = try JSONDecoder().decode(AuditReport.self, from: Data(json.stdout.utf8))
        #expect(parsed.problems.map(\.eventId) == [2] && parsed.problems.first?.kind == .edited)

        let missing = try await runWaveline(["audit", "verify", "--data", bench.root + "/nowhere"])
        #expect(missing.exitCode == 1 && missing.stderr.contains("no database at"), "\(missing)")
    }
}

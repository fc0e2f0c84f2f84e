import Foundation
import Subprocess
import SystemPackage
import Testing
import WavelineCore
import WavelineTesting

/// `waveline demo --data DIR` resets only a folder it made, never one in use, and stops only the services it
/// started.
@Suite(.serialized) struct DemoFolderTests {
    static func prepare(_ folder: String) async throws -> CLIRun {
        try await runWaveline(["demo", "--data", folder, "--prepare-only"], timeout: .seconds(120))
    }

    /// Ends the simulated services a prepared demo folder left running.
    static func stopServices(_ folder: String) {
        let nodes = folder + "/nodes"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: nodes)) ?? [] {
            if let text = try? String(contentsOfFile: "\(nodes)/\(name)/run/service.pid", encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGKILL)
            }
        }
    }

    @Test func aFolderTheDemoDidNotMakeIsRefusedAndLeftAlone() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-demo-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let precious = root + "/precious"
        try FileManager.default.createDirectory(atPath: precious, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try "keep me".write(toFile: precious + "/notes.txt", atomically: true, encoding: .utf8)
        let refused = try await Self.prepare(precious)
        #expect(refused.exitCode == 1 && refused.stderr.contains("was not made by `waveline demo`") && !looksLikeACrash(refused.output), "\(refused)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: precious) == ["notes.txt"])
        #expect((try FileManager.default.attributesOfItem(atPath: precious)[.posixPermissions] as? Int) == 0o755, "the refused folder was changed")
        let file = root + "/a-file"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let notAFolder = try await Self.prepare(file)
        #expect(notAFolder.exitCode == 1 && notAFolder.stderr.contains("is a file"), "\(notAFolder)")
    }

    @Test func theDemoResetsItsOwnFolderAndStopsOnlyItsOwnServices() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-demo-\(UUID().uuidString.prefix(8))").path
        let folder = root + "/demo"
        defer {
            Self.stopServices(folder)
            try? FileManager.default.removeItem(atPath: root)
        }
        let first = try await Self.prepare(folder)
        #expect(first.exitCode == 0, "\(first)")
        #expect(FileManager.default.fileExists(atPath: folder + "/.waveline-demo"))
        let nodes = try FileManager.default.contentsOfDirectory(atPath: folder + "/nodes").sorted()
        let (own, stranger) = (try #require(nodes.first), try #require(nodes.last))
        let ownService = try #require(pid_t(try String(contentsOfFile: "\(folder)/nodes/\(own)/run/service.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        // A process the demo did not start, named in a pid file (as a reused pid or an edited file would).
        let outsider = try await Subprocess.run(.path("/bin/sh"), arguments: ["-c", "sleep 300 >/dev/null 2>&1 & echo $!"], output: .string(limit: 64))
        let outsiderPID = try #require(pid_t(outsider.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(outsiderPID, SIGKILL) }
        try "\(outsiderPID)\n".write(toFile: "\(folder)/nodes/\(stranger)/run/service.pid", atomically: true, encoding: .utf8)

        let again = try await Self.prepare(folder)
        #expect(again.exitCode == 0, "\(again)")
        #expect(await eventually { processState(ownService).gone || processState(ownService).zombie }, "the demo's own service was not stopped")
        #expect(!processState(outsiderPID).gone, "the demo killed a process it did not start")
    }

    @Test func aDemoFolderInUseIsNotReset() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
        defer {
            Self.stopServices(bench.data)
            bench.remove()
        }
        #expect(try await Self.prepare(bench.data).exitCode == 0)
        try await bench.withServer { server in
            let refused = try await Self.prepare(bench.data)
            #expect(refused.exitCode == 1 && refused.stderr.contains("in use by Waveline process \(server.pid)"), "\(refused)")
            #expect(FileManager.default.fileExists(atPath: bench.data + "/inventory.yaml") && FileManager.default.fileExists(atPath: bench.data + "/waveline.sqlite"))
        }
    }
}

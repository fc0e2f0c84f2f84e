import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// A store that refuses writes (its disk is full) pauses the deployment with that reason instead of leaving a
/// node "running" forever; nothing already stored is lost, and once there is room again it goes on.
///
/// The data folder is a small tmpfs (root only; with `CI=true` a tmpfs that cannot be made fails the test).
@Suite(.serialized) struct StorageFailureTests {
    /// Mounts a tmpfs of `megabytes` at `path`; nil when this machine does not allow it.
    static func mountSmallFilesystem(at path: String, megabytes: Int) -> String? {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", path]
        let errors = Pipe()
        mount.standardError = errors
        do {
            try mount.run()
            mount.waitUntilExit()
        } catch {
            return "cannot run mount: \(error)"
        }
        guard mount.terminationStatus == 0 else {
            return "mount -t tmpfs failed (\(mount.terminationStatus)): \(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))"
        }
        return nil
    }

    static func unmount(_ path: String) {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = ["-l", path]
        try? umount.run()
        umount.waitUntilExit()
    }

    static let filler = """
        name: filler
        idempotent: true
        steps:
          - {name: before, shell: 'for i in $(seq 1 100); do echo "kept $i"; done'}
          - name: fill
            shell: '[ -f filled ] || { touch filled; dd if=/dev/zero of=filler bs=16k 2>/dev/null; true; }; for i in $(seq 1 3000); do echo "while full $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done'
          - {name: after, shell: 'echo after'}
        """

    @Test func aFullDiskPausesTheDeploymentWithItsReasonAndLosesNothing() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["filler": Self.filler])
        defer { bench.remove() }
        if let problem = Self.mountSmallFilesystem(at: bench.data, megabytes: 6) {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("a small filesystem is needed for this test and could not be made: \(problem)")
            }
            return
        }
        defer { Self.unmount(bench.data) }

        try await bench.withServer { server in
            let id = try await server.deploy("filler", selection: Selection(nodes: ["n1"])).deployment.id
            // While the disk is full the store can hold nothing more: the pause is told from memory.
            let paused = try await server.waitFor(id, "the pause for the full disk") { $0.deployment.status == .paused }
            #expect(paused.deployment.statusReason?.contains("the store refuses writes") == true, "\(paused.deployment.statusReason ?? "")")

            // Room again: the pause is stored, with its reason, and what was stored before is all there.
            try FileManager.default.removeItem(atPath: bench.nodeDirectory("n1") + "/filler")
            let stored = try await server.waitFor(id, "the stored pause") { detail in
                detail.deployment.status == .paused && detail.target("n1")?.status == .pending
            }
            #expect(stored.deployment.statusReason?.contains("the store refuses writes") == true, "\(stored.deployment.statusReason ?? "")")
            let events: EventList = try await server.get("/api/v1/deployments/\(id)/events")
            #expect(events.events.contains { $0.kind == "deployment.paused" && $0.message.contains("the store refuses writes") })
            let kept = try await server.logs(id, node: "n1").map(\.text).filter { $0.hasPrefix("kept ") }
            #expect(kept == (1...100).map { "kept \($0)" })

            // Resumed, the node runs again from the step whose end was not stored.
            _ = try await server.act("resume", id)
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            let texts = try await server.logs(id, node: "n1").map(\.text)
            #expect(texts.filter { $0.hasPrefix("kept ") }.count == 100)
            #expect(texts.contains("while full 3000 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))
            #expect(texts.contains("after"))
        }
    }
}

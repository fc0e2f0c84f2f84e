import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// A server asked to stop (SIGTERM) stops, even with log followers and live pages connected and a command
/// running: the streams end, the command is ended, and the next start finds the step interrupted.
struct ShutdownTests {
    static let hang = """
        name: hang
        idempotent: true
        steps:
          - {name: wait, shell: 'echo waiting; sleep 60', timeout: 5m}
        """

    /// The server is this process's child, so until it is reaped it lingers as a zombie ("Z"), which
    /// `kill(pid, 0)` still reports as alive.
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
        return state == "Z" || state == "X"
    }

    @Test func aServerWithOpenStreamsStopsWhenAsked() async throws {
        let bench = try Workbench(inventory: localInventory(nodes: 1), operations: ["hang": Self.hang])
        defer { bench.remove() }
        var pid: pid_t = 0
        var id: Int64 = 0
        try await bench.withServer { server in
            pid = server.pid
            id = try await server.deploy("hang", selection: Selection(nodes: ["n1"])).deployment.id
            try await server.waitFor(id, "the step running") { $0.targets.first?.currentStep == "wait" }
            // Two followers of the log and one live page, left open.
            for path in ["/api/v1/deployments/\(id)/logs/stream", "/api/v1/deployments/\(id)/logs/stream?node=n1", "/ui/events"] {
                Task { _ = try? await server.request("GET", path) }
            }
            try await Task.sleep(for: .milliseconds(500))
            server.terminate()
            var stopped = false
            for _ in 0..<200 where !stopped {
                stopped = Self.hasExited(pid)
                if !stopped { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(stopped, "the server was still running 20 s after SIGTERM")
            if !stopped { server.crash() }
        }
        // The step the stop cut short is found interrupted and, the operation being idempotent, runs again.
        try await bench.withServer { server in
            let detail = try await server.waitFor(id, "the step running again") { detail in
                detail.targets.first?.attempt == 2 && detail.targets.first?.status == .running
            }
            #expect(detail.deployment.status == .running)
            _ = try await server.act("abort", id)
        }
    }
}

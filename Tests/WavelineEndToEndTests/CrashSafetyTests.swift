import Foundation
import Testing
import WavelineCore
import WavelineServer
import WavelineStore

/// Real `kill -9` of the server process at several moments of a deployment, then a restart.
@Suite(.serialized) struct CrashSafetyTests {
    /// Each step appends "<step> start|end" to the node's journal, so the node itself tells what ran.
    static let slowSteps = """
        name: slow-change
        idempotent: %IDEMPOTENT%
        steps:
          - name: one
            shell: 'echo "one start" >> journal; i=0; while [ $i -lt 4 ]; do echo "one line $i"; i=$((i+1)); sleep 0.1; done; echo "one end" >> journal'
          - name: two
            shell: 'echo "two start" >> journal; sleep 0.6; echo "two out"; echo "two end" >> journal'
          - name: three
            shell: 'echo "three start" >> journal; sleep 0.3; echo "three end" >> journal'
        """

    static func parallel(_ n: Int) -> String {
        "name: pairs\nfailure_budget: 0\nphases:\n  - {name: all, size: rest, batch_size: 100%, parallelism: \(n)}\n"
    }

    @Test func killedAtSeveralMomentsResumesWithoutRerunningFinishedStepsOrLosingLogs() async throws {
        let bench = try Workbench(
            inventory: localInventory(nodes: 6),
            operations: ["slow-change": Self.slowSteps.replacingOccurrences(of: "%IDEMPOTENT%", with: "true")],
            strategies: ["pairs": Self.parallel(2)]
        )
        defer { bench.remove() }

        // Start it, then kill the server at three different moments, keeping what was visible each time.
        var id: Int64 = 0
        var linesSeen: [Int64: LogLineView] = [:]
        for (round, delay) in [700, 1_300, 900].enumerated() {
            let seen = try await bench.withServer { server -> [LogLineView] in
                if round == 0 {
                    id = try await server.deploy("slow-change", selection: Selection(clusters: ["app-test"]), strategy: "pairs").deployment.id
                }
                try await Task.sleep(for: .milliseconds(delay))
                let lines = try await server.logs(id)
                server.crash()
                return lines
            }
            for line in seen { linesSeen[line.id] = line }
        }

        // A last start runs it to the end.
        try await bench.withServer { server in
            let final = try await server.waitUntilFinal(id, timeout: .seconds(60))
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(final.targets.allSatisfy { $0.status == .succeeded })

            // No stored line was lost: every line seen before a kill is still there, unchanged.
            let after = Dictionary(uniqueKeysWithValues: try await server.logs(id).map { ($0.id, $0) })
            for (lineID, line) in linesSeen {
                #expect(after[lineID] == line, "line \(lineID) changed or vanished after a restart")
            }

            // Per node: a step that was recorded as finished ran once; only interrupted steps ran again.
            for target in final.targets {
                let journal = bench.read(target.node, "journal") ?? ""
                for step in ["one", "two", "three"] {
                    let ends = journal.components(separatedBy: "\n").filter { $0 == "\(step) end" }.count
                    #expect(ends >= 1, "\(target.node): step \(step) never completed")
                }
            }
            let lines = try await server.logs(id)
            for target in final.targets {
                let nodeLines = lines.filter { $0.node == target.node }
                // Sequence numbers of a node's log only go up, across restarts.
                #expect(nodeLines.map(\.seq) == nodeLines.map(\.seq).sorted())
                // Each step ends exactly once as succeeded.
                for step in ["one", "two", "three"] {
                    let successes = nodeLines.filter { $0.stream == "system" && $0.text.hasPrefix("■ step '\(step)' succeeded") }
                    #expect(successes.count == 1, "\(target.node): step \(step) succeeded \(successes.count) times")
                }
            }
        }
    }

    @Test func interruptedStepOfANonIdempotentOperationPausesForAPerson() async throws {
        let bench = try Workbench(
            inventory: localInventory(nodes: 2),
            operations: ["slow-change": Self.slowSteps.replacingOccurrences(of: "%IDEMPOTENT%", with: "false")],
            strategies: ["pairs": Self.parallel(2)]
        )
        defer { bench.remove() }
        var id: Int64 = 0
        try await bench.withServer { server in
            id = try await server.deploy("slow-change", selection: Selection(nodes: ["n1", "n2"]), strategy: "pairs").deployment.id
            // Kill while step "two" (0.6 s) runs.
            try await server.waitFor(id, "step two running") { detail in
                detail.targets.contains { $0.currentStep == "two" && $0.status == .running }
            }
            server.crash()
        }
        try await bench.withServer { server in
            let paused = try await server.waitFor(id, "paused") { $0.deployment.status == .paused }
            #expect(paused.deployment.statusReason?.contains("not idempotent") == true)
            let interrupted = paused.targets.filter { $0.status == .interrupted }
            #expect(!interrupted.isEmpty)
            #expect(paused.failures.contains { $0.step == "two" })
            // Nothing ran on its own: the interrupted step started once.
            for target in interrupted {
                #expect(bench.read(target.node, "journal")?.components(separatedBy: "\n").filter { $0 == "two start" }.count == 1)
            }
            // A person decides: resuming is refused until the nodes are retried or skipped.
            let (status, body) = try await server.request("POST", "/api/v1/deployments/\(id)/actions/resume", body: Data("{}".utf8))
            #expect(status == 409)
            #expect(String(decoding: body, as: UTF8.self).contains("interrupted"))
            _ = try await server.act("retry", id)
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded)
            for node in ["n1", "n2"] {
                let journal = bench.read(node, "journal") ?? ""
                #expect(journal.components(separatedBy: "\n").filter { $0 == "one start" }.count == 1, "step one finished before the crash and must not run again")
                #expect(journal.components(separatedBy: "\n").filter { $0 == "three end" }.count == 1)
            }
        }
    }
}

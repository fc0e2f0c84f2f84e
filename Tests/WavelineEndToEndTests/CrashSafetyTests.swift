import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

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

            // Per node: every step ran to its end exactly once. A step that ended while the server was down is
            // recognised from the exit code its wrapper left on the node; one that was still running is ended
            // by the restart before it runs again.
            for target in final.targets {
                let journal = bench.read(target.node, "journal") ?? ""
                for step in ["one", "two", "three"] {
                    let ends = journal.components(separatedBy: "\n").filter { $0 == "\(step) end" }.count
                    #expect(ends == 1, "\(target.node): step \(step) completed \(ends) times")
                }
            }
            let lines = try await server.logs(id)
            for target in final.targets {
                let nodeLines = lines.filter { $0.node == target.node }
                // Sequence numbers of a node's log only go up, across restarts.
                #expect(nodeLines.map(\.seq) == nodeLines.map(\.seq).sorted())
                // Each step ends once as succeeded: its own end line, and/or (when the server died before the end
                // was stored) the restart's line recording the exit code it found on the node.
                for step in ["one", "two", "three"] {
                    let system = nodeLines.filter { $0.stream == "system" }
                    let successes = system.filter { $0.text.hasPrefix("■ step '\(step)' succeeded") }.count
                    let recovered = system.filter { $0.text.hasPrefix("■ step '\(step)' recorded as succeeded after a restart") }.count
                    #expect(successes <= 1 && recovered <= 1 && successes + recovered >= 1,
                            "\(target.node): step \(step) succeeded \(successes) times, recovered \(recovered) times")
                }
            }
        }
    }

    /// Three phases, the server killed at random moments again and again: every step of every node runs to its
    /// end exactly once (none twice, none overlapping a copy the killed server left running), and the log keeps
    /// every line seen before a kill.
    @Test(arguments: 1...3) func killedAtRandomMomentsOfAMultiPhaseDeploymentEveryStepEndsExactlyOnce(round: Int) async throws {
        let threePhases = "name: three-phases\nfailure_budget: 0\nphases:\n  - {name: canary, size: 1, batch_size: 1, parallelism: 1}\n  - {name: half, size: 50%, batch_size: 100%, parallelism: 3}\n  - {name: rest, size: rest, batch_size: 100%, parallelism: 3}\n"
        let bench = try Workbench(
            inventory: localInventory(nodes: 6),
            operations: ["slow-change": Self.slowSteps.replacingOccurrences(of: "%IDEMPOTENT%", with: "true")],
            strategies: ["three-phases": threePhases]
        )
        defer { bench.remove() }
        var id: Int64 = 0
        var kills = 0
        var finished = false
        while !finished {
            finished = try await bench.withServer { server -> Bool in
                if id == 0 {
                    id = try await server.deploy("slow-change", selection: Selection(clusters: ["app-test"]), strategy: "three-phases").deployment.id
                }
                if kills >= 6 { return true }
                try await Task.sleep(for: .milliseconds(Int.random(in: 150...1_200)))
                if try await server.detail(id).deployment.status.isFinal { return true }
                server.crash()
                kills += 1
                return false
            }
        }
        try await bench.withServer { server in
            let final = try await server.waitUntilFinal(id, timeout: .seconds(90))
            #expect(final.deployment.status == .succeeded, "round \(round) after \(kills) kills: \(final.deployment.statusReason ?? "")")
            for target in final.targets {
                let journal = bench.journal(target.node)
                for step in ["one", "two", "three"] {
                    #expect(journal.filter { $0 == "\(step) end" }.count == 1, "round \(round), \(target.node): step \(step) ended \(journal.filter { $0 == "\(step) end" }.count) times: \(journal)")
                }
            }
        }
    }

    /// A non-idempotent step that runs to its end while the server is down is recorded as finished at the
    /// restart (from the exit code it wrote on the node), not interrupted and not run again.
    @Test func aStepThatEndedWhileTheServerWasDownIsRecordedAsFinished() async throws {
        let gated = """
            name: gated
            idempotent: false
            steps:
              - name: one
                shell: 'echo "one start" >> journal; touch started; i=0; while [ ! -f go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo "one end" >> journal'
              - name: two
                shell: 'echo "two end" >> journal'
            """
        let bench = try Workbench(inventory: localInventory(nodes: 1), operations: ["gated": gated])
        defer { bench.remove() }
        var id: Int64 = 0
        try await bench.withServer { server in
            id = try await server.deploy("gated", selection: Selection(nodes: ["n1"]), strategy: "all-at-once").deployment.id
            #expect(await eventually(timeout: .seconds(30)) { bench.read("n1", "started") != nil }, "step one never started")
            server.crash()
        }
        // The server is gone; the step goes on, ends, and leaves its exit code beside its work.
        try bench.write("n1", "go", "")
        let steps = bench.nodeDirectory("n1") + "/.waveline/steps"
        #expect(await eventually(timeout: .seconds(30)) {
            ((try? FileManager.default.contentsOfDirectory(atPath: steps)) ?? []).contains { $0.hasSuffix(".exit") }
        }, "the step's exit code was not written on the node")
        try await bench.withServer { server in
            let final = try await server.waitUntilFinal(id, timeout: .seconds(60))
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(bench.journal("n1") == ["one start", "one end", "two end"])
            let lines = try await server.logs(id)
            #expect(lines.contains { $0.stream == "system" && $0.text.contains("'one' recorded as succeeded after a restart") })
        }
    }

    /// A step still running when the server is killed is ended by the restart before anything runs again: its
    /// second attempt never overlaps the first. (A killed copy may linger as a zombie until its new parent reaps
    /// it; a zombie runs nothing, so the step's own check looks at the process state, not only its existence.)
    @Test func aStepStillRunningAfterTheCrashIsEndedBeforeItRunsAgain() async throws {
        let token = "31\(Int.random(in: 1000...9999)).\(Int.random(in: 100...999))"
        let long = """
            name: long
            idempotent: true
            steps:
              - name: one
                shell: 'if [ -f one.pid ] && grep -qs "^State:[[:space:]]*[^Z[:space:]]" "/proc/$(cat one.pid)/status"; then echo OVERLAP >> journal; fi; echo $$ > one.pid; echo "one start" >> journal; if [ ! -f second ]; then touch second; sleep \(token); fi; echo "one end" >> journal'
            """
        let bench = try Workbench(inventory: localInventory(nodes: 1), operations: ["long": long])
        defer { bench.remove() }
        var id: Int64 = 0
        try await bench.withServer { server in
            id = try await server.deploy("long", selection: Selection(nodes: ["n1"]), strategy: "all-at-once").deployment.id
            #expect(try await eventually(timeout: .seconds(30)) { try await !pgrep("sleep \(token)").isEmpty }, "step one never started")
            server.crash()
        }
        #expect(try await !pgrep("sleep \(token)").isEmpty, "the killed server's step still runs until the restart")
        try await bench.withServer { server in
            let final = try await server.waitUntilFinal(id, timeout: .seconds(60))
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(try await pgrep("sleep \(token)").isEmpty, "the killed server's copy of the step was left running")
            #expect(bench.journal("n1") == ["one start", "one start", "one end"], "\(bench.journal("n1"))")
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

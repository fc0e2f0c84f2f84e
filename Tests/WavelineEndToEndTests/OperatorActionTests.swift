import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// A person's actions on a deployment under way, against the real server: pause, resume, abort, retry, skip,
/// approve, rollback, and the answers when an action does not fit the deployment's state.
@Suite(.serialized) struct OperatorActionTests {
    /// Each step appends to the node's journal, so the node itself tells what ran.
    static let slow = """
        name: slow
        steps:
          - {name: work, shell: 'echo "work start" >> journal; sleep 2; echo "work end" >> journal'}
        """

    /// Like `slow`, but each node's step ends only once the test puts `go` in the node's folder.
    static let gated = """
        name: gated
        steps:
          - {name: work, shell: 'echo "work start" >> journal; while [ ! -f go ]; do sleep 0.05; done; echo "work end" >> journal'}
        """

    /// Fails at its second step on a node without an `ok` file.
    static let needsOK = """
        name: needs-ok
        steps:
          - {name: one, shell: 'echo one >> journal'}
          - {name: check, shell: 'echo check >> journal; test -f ok'}
          - {name: three, shell: 'echo three >> journal'}
        """

    @Test func pauseLetsRunningNodesFinishAndStartsNothingUntilResumed() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 4), operations: ["gated": Self.gated],
                                  strategies: ["pairs": singlePhaseStrategy("pairs", parallelism: 2)])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("gated", selection: Selection(clusters: ["app-test"]), strategy: "pairs").deployment.id
            try await server.waitFor(id, "a node running") { $0.targets.contains { $0.status == .running } }
            let paused = try await server.act("pause", id)
            #expect(paused.deployment.status == .paused)
            let startedAtPause = paused.startedNodes
            // Only now may the running steps end.
            try bench.release(on: ["n1", "n2", "n3", "n4"])

            // Running nodes finish; then nothing new starts for a while.
            let settled = try await server.waitFor(id, "running nodes finished") { !$0.targets.contains { $0.status == .running } }
            #expect(settled.deployment.status == .paused)
            #expect(settled.startedNodes == startedAtPause, "nodes started while paused: \(settled.startedNodes.subtracting(startedAtPause))")
            for node in startedAtPause { #expect(settled.target(node)?.status == .succeeded, "\(node) did not finish while paused") }
            try await Task.sleep(for: .milliseconds(1_200))
            let later = try await server.detail(id)
            #expect(later.deployment.status == .paused)
            #expect(later.startedNodes == startedAtPause)
            for node in ["n1", "n2", "n3", "n4"] where !startedAtPause.contains(node) {
                #expect(bench.journal(node).isEmpty, "\(node) ran while the deployment was paused")
            }
            #expect(startedAtPause.count < 4, "every node had started before the pause: nothing left to check")

            let resumed = try await server.act("resume", id)
            #expect(resumed.deployment.status == .running)
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            for node in ["n1", "n2", "n3", "n4"] {
                #expect(bench.journal(node) == ["work start", "work end"], "\(node): \(bench.journal(node))")
            }
        }
    }

    @Test func abortEndsTheRunningCommandWithEverythingItStartedAndCancelsTheRest() async throws {
        let operation = """
            name: hang
            steps:
              - {name: wait, shell: 'sleep 300 & echo $! > child.pid; sleep 300'}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 3), operations: ["hang": operation],
                                  strategies: ["serial": singlePhaseStrategy("serial", parallelism: 1)])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("hang", selection: Selection(clusters: ["app-test"]), strategy: "serial").deployment.id
            try await server.waitFor(id, "n1 running") { $0.target("n1")?.status == .running }
            let pidWritten = await eventually { bench.read("n1", "child.pid").flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } != nil }
            try #require(pidWritten, "the step never wrote child.pid")
            let child = try #require(bench.read("n1", "child.pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            #expect(kill(child, 0) == 0, "the grandchild should be alive before the abort")

            let aborted = try await server.act("abort", id)
            #expect(aborted.deployment.status == .cancelled)
            #expect(aborted.deployment.statusReason?.contains("aborted by admin") == true)
            // How fast is a benchmark's question; here only that it ends (a loaded CI machine is slow).
            let final = try await server.waitFor(id, timeout: .seconds(60), "every node cancelled") { detail in
                detail.targets.allSatisfy { $0.status == .cancelled }
            }
            #expect(final.deployment.status == .cancelled)
            #expect(final.target("n1")?.attempt == 1)
            #expect(final.target("n2")?.attempt == 0 && final.target("n3")?.attempt == 0, "pending nodes must not have started")

            // The grandchild, in the step's process group, is ended too (SIGTERM, then SIGKILL after 2 s).
            let ended = await eventually(timeout: .seconds(3)) { let state = processState(child); return state.gone || state.zombie }
            #expect(ended, "grandchild \(child) still runs after the abort")
            // Once reaped by whoever adopted it, kill(pid, 0) answers ESRCH.
            let reaped = await eventually(timeout: .seconds(5)) { processState(child).gone }
            #expect(reaped, "grandchild \(child) was not reaped: \(processState(child))")

            // Aborting again is refused: it is over.
            let again = try await server.refusedAction("abort", id)
            #expect(again.status == 409)
            #expect(again.message.contains("cancelled"))
            #expect(bench.read("n2", "child.pid") == nil && bench.read("n3", "child.pid") == nil)
        }
    }

    @Test func failureOverBudgetHaltsThenRetryRunsOnlyTheStepsThatDidNotSucceed() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 3), operations: ["needs-ok": Self.needsOK],
                                  strategies: ["serial": singlePhaseStrategy("serial", parallelism: 1, failureBudget: "0")])
        defer { bench.remove() }
        try bench.write("n2", "ok", "")
        try bench.write("n3", "ok", "")
        try await bench.withServer { server in
            let id = try await server.deploy("needs-ok", selection: Selection(clusters: ["app-test"]), strategy: "serial").deployment.id
            let halted = try await server.waitFor(id, "halted") { $0.deployment.status == .halted }
            #expect(halted.deployment.statusReason?.contains("failure budget") == true)
            #expect(halted.target("n1")?.status == .failed)
            #expect(halted.target("n1")?.failure?.step == "check")
            #expect(halted.target("n1")?.failure?.exitCode == 1)
            #expect(halted.failures.map(\.node) == ["n1"])

            // Nothing new starts while halted.
            try await Task.sleep(for: .milliseconds(1_000))
            let still = try await server.detail(id)
            #expect(still.deployment.status == .halted)
            #expect(still.target("n2")?.status == .pending && still.target("n3")?.status == .pending)
            #expect(bench.journal("n2").isEmpty && bench.journal("n3").isEmpty)
            #expect(bench.journal("n1") == ["one", "check"])

            // Resuming over budget is refused; fixing the node and retrying it finishes the deployment.
            let resume = try await server.refusedAction("resume", id)
            #expect(resume.status == 409)
            #expect(resume.message.contains("failure budget"))
            try bench.write("n1", "ok", "")
            let retried = try await server.act("retry", id)
            #expect(retried.deployment.status == .running)
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(final.target("n1")?.attempt == 2)
            // Step "one" had succeeded on n1: it did not run again; "check" ran twice.
            #expect(bench.journal("n1") == ["one", "check", "check", "three"], "n1 journal: \(bench.journal("n1"))")
            for node in ["n2", "n3"] { #expect(bench.journal(node) == ["one", "check", "three"]) }
            let n1Log = try await server.logs(id, node: "n1").map(\.text)
            #expect(n1Log.contains { $0.contains("step 'one' already succeeded") })
        }
    }

    @Test func skippingAFailedNodeThenResumingSucceedsWithoutIt() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 3), operations: ["needs-ok": Self.needsOK],
                                  strategies: ["serial": singlePhaseStrategy("serial", parallelism: 1, failureBudget: "0")])
        defer { bench.remove() }
        try bench.write("n1", "ok", "")
        try bench.write("n3", "ok", "")
        try await bench.withServer { server in
            let id = try await server.deploy("needs-ok", selection: Selection(clusters: ["app-test"]), strategy: "serial").deployment.id
            let halted = try await server.waitFor(id, "halted") { $0.deployment.status == .halted }
            #expect(halted.target("n2")?.status == .failed)
            #expect(halted.target("n3")?.status == .pending)

            // Through the CLI, as a person would.
            let carol = try await server.as("carol")
            let skip = try await carol.cli(["skip", String(id), "--node", "n2", "--reason", "broken disk"])
            #expect(skip.succeeded, "\(skip)")
            #expect(skip.stdout.contains("skip: done"), "\(skip)")
            let resume = try await carol.cli(["resume", String(id)])
            #expect(resume.succeeded, "\(resume)")

            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(final.deployment.statusReason?.contains("1 node skipped") == true)
            #expect(final.target("n2")?.status == .skipped)
            #expect(final.target("n1")?.status == .succeeded && final.target("n3")?.status == .succeeded)
            #expect(final.counts.skipped == 1 && final.counts.succeeded == 2)
            #expect(bench.journal("n2") == ["one", "check"], "a skipped node must not run again")
            #expect(bench.journal("n3") == ["one", "check", "three"])

            let events: EventList = try await server.get("/api/v1/deployments/\(id)/events")
            #expect(events.events.contains { $0.kind == "action.skip" && $0.actor == "carol" && $0.message.contains("n2") && $0.message.contains("broken disk") })
        }
    }

    @Test func manualGateWaitsForApprovalAndRecordsTheApprover() async throws {
        let gated = """
            name: gated
            failure_budget: 0
            phases:
              - {name: canary, size: 1, parallelism: 1, gate: manual}
              - {name: rest, size: rest, batch_size: 100%, parallelism: 5}
            """
        let operation = """
            name: quick
            steps:
              - {name: mark, shell: 'echo done >> journal'}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 3), operations: ["quick": operation], strategies: ["gated": gated])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("quick", selection: Selection(clusters: ["app-test"]), strategy: "gated").deployment.id
            let atGate = try await server.waitFor(id, "the canary gate") { $0.phases.first?.status == .gate }
            #expect(atGate.phases.map(\.name) == ["canary", "rest"])
            #expect(atGate.phases[0].gate == "manual")
            #expect(atGate.phases[0].approvedBy == nil)
            #expect(atGate.phases[0].batches.joined().count == 1)
            let canary = try #require(atGate.phases[0].batches.first?.first)

            // It waits: the next phase does not start on its own.
            try await Task.sleep(for: .milliseconds(1_000))
            let waiting = try await server.detail(id)
            #expect(waiting.deployment.status == .running)
            #expect(waiting.phases[0].status == .gate && waiting.phases[1].status == .pending)
            #expect(waiting.startedNodes == [canary])
            for node in ["n1", "n2", "n3"] where node != canary { #expect(bench.journal(node).isEmpty) }
            let status = try await server.cli(["status", String(id)])
            #expect(status.stdout.contains("waiting: waveline approve \(id)"), "\(status)")

            let approved = try await server.act("approve", id, as: "alice")
            #expect(approved.phases[0].approvedBy == "alice")
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(final.phases[0].approvedBy == "alice")
            #expect(final.phases.allSatisfy { $0.status == .completed })
            for node in ["n1", "n2", "n3"] { #expect(bench.journal(node) == ["done"]) }
            let events: EventList = try await server.get("/api/v1/deployments/\(id)/events")
            #expect(events.events.contains { $0.kind == "action.approve" && $0.actor == "alice" })

            // Approving again: no gate is waiting.
            let again = try await server.refusedAction("approve", id)
            #expect(again.status == 409)
        }
    }

    @Test func rollbackOfAFailedDeploymentUndoesOnlyTheNodesThatSucceeded() async throws {
        let operation = """
            name: upgrade
            steps:
              - {name: install, shell: 'echo install >> journal; test ! -f bad'}
            rollback:
              - {name: restore, shell: 'echo "restore $WAVELINE_STEP" >> journal'}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 3), operations: ["upgrade": operation],
                                  strategies: ["tolerant": singlePhaseStrategy("tolerant", parallelism: 3, failureBudget: "1")])
        defer { bench.remove() }
        try bench.write("n2", "bad", "")
        try await bench.withServer { server in
            let id = try await server.deploy("upgrade", selection: Selection(clusters: ["app-test"]), strategy: "tolerant").deployment.id
            let failed = try await server.waitUntilFinal(id)
            #expect(failed.deployment.status == .finishedWithFailures, "\(failed.deployment.statusReason ?? "")")
            #expect(failed.target("n2")?.status == .failed)

            let started = try await server.act("rollback", id)
            #expect(started.deployment.status == .rollingBack || started.deployment.status == .rolledBack)
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .rolledBack, "\(final.deployment.statusReason ?? "")")
            let rollbackPhase = try #require(final.phases.last)
            #expect(rollbackPhase.name == "rollback")
            #expect(rollbackPhase.kind == .rollback)
            #expect(rollbackPhase.status == .completed)
            #expect(Set(rollbackPhase.batches.joined()) == ["n1", "n3"])
            let rolledBack = final.targets.filter { $0.kind == .rollback }
            #expect(Set(rolledBack.map(\.node)) == ["n1", "n3"])
            #expect(rolledBack.allSatisfy { $0.status == .succeeded })
            // The deploy runs keep their outcome.
            #expect(final.target("n2")?.status == .failed)

            #expect(bench.journal("n1") == ["install", "restore restore"], "n1: \(bench.journal("n1"))")
            #expect(bench.journal("n3") == ["install", "restore restore"], "n3: \(bench.journal("n3"))")
            #expect(bench.journal("n2") == ["install"], "n2 failed, so there is nothing to roll back on it")

            // Only once.
            let again = try await server.refusedAction("rollback", id)
            #expect(again.status == 409)
            #expect(again.message.contains("already rolled back"))
        }
    }

    @Test func actionsThatDoNotFitAreRefusedWithAReason() async throws {
        let operation = """
            name: hang
            rollback:
              - {name: undo, shell: 'true'}
            steps:
              - {name: wait, shell: 'sleep 30'}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["hang": operation, "slow": Self.slow])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("hang", selection: Selection(nodes: ["n1"])).deployment.id
            try await server.waitFor(id, "n1 running") { $0.target("n1")?.status == .running }

            let approve = try await server.refusedAction("approve", id)
            #expect(approve.status == 409)
            #expect(approve.message.contains("no gate is waiting"), "\(approve.message)")
            let resume = try await server.refusedAction("resume", id)
            #expect(resume.status == 409)
            #expect(resume.message.contains("running"), "\(resume.message)")
            let rollback = try await server.refusedAction("rollback", id)
            #expect(rollback.status == 409)
            #expect(rollback.message.contains("pause it first"), "\(rollback.message)")
            let retry = try await server.refusedAction("retry", id)
            #expect(retry.status == 409)
            #expect(retry.message.contains("no failed or interrupted node"), "\(retry.message)")
            let skipNothing = try await server.refusedAction("skip", id)
            #expect(skipNothing.status == 422, "skip without nodes: \(skipNothing)")
            let skipStranger = try await server.refusedAction("skip", id, nodes: ["n2"])
            #expect(skipStranger.status == 404)
            #expect(skipStranger.message.contains("n2"))

            let unknown = try await server.failure("POST", "/api/v1/deployments/\(id)/actions/frobnicate", body: Data("{}".utf8))
            #expect(unknown.status == 400)
            #expect(unknown.message.contains("frobnicate") && unknown.message.contains("pause"), "\(unknown.message)")
            let missing = try await server.refusedAction("pause", 9_999)
            #expect(missing.status == 404)
            #expect(missing.message.contains("9999"))
            let missingDetail = try await server.failure("GET", "/api/v1/deployments/9999")
            #expect(missingDetail.status == 404)

            // A refused action changed nothing.
            #expect(try await server.detail(id).deployment.status == .running)
            _ = try await server.act("pause", id)
            let pauseAgain = try await server.refusedAction("pause", id)
            #expect(pauseAgain.status == 409)
            #expect(pauseAgain.message.contains("paused"))
            _ = try await server.act("abort", id)
            let final = try await server.waitUntilFinal(id, timeout: .seconds(10))
            #expect(final.deployment.status == .cancelled)
            for action in ["pause", "resume", "retry", "approve", "abort"] {
                let refused = try await server.refusedAction(action, id)
                #expect(refused.status == 409, "\(action) on a cancelled deployment: \(refused)")
                #expect(!refused.message.isEmpty)
            }
            // Nothing completed, so there is nothing to roll back.
            let nothing = try await server.refusedAction("rollback", id)
            #expect(nothing.status == 409)
            #expect(nothing.message.contains("no node completed"), "\(nothing.message)")
        }
    }
}

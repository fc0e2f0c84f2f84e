import Foundation
import Testing
import WavelineCore
import WavelineEngine
import WavelineExecutors
@testable import WavelineStore

/// The engine in-process, on a real SQLite file and real local processes.
struct EngineTests {
    struct Fixture {
        let directory: String
        /// The store the engine writes, read directly (the engine keeps its own to itself).
        let store: any DeploymentStore
        let engine: Engine

        static func make(
            nodes: Int, operation: WavelineCore.Operation, strategies: [Strategy] = Strategy.builtIn, directory existing: String? = nil,
            protected: Bool = false
        ) async throws -> Fixture {
            let directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("waveline-engine-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let cluster = Cluster(
                name: "c1", product: "app", environment: "test", zones: ["a"],
                nodes: (1...nodes).map { Node(name: "n\($0)", cluster: "c1", zone: "a") }
            )
            let inventory = Inventory(environments: [Environment(name: "test", protected: protected)], products: [Product(name: "app", owner: "team")], clusters: [cluster])
            let store = try await SQLDeploymentStore.sqlite(path: directory + "/waveline.sqlite")
            let engine = try await Engine(
                store: store, workspace: Workspace(inventory: inventory, operations: [operation], strategies: strategies),
                executors: ExecutorRegistry(local: LocalExecutor(dataDirectory: directory))
            )
            return Fixture(directory: directory, store: store, engine: engine)
        }

        /// Runs `body` while the engine runs, then stops the engine.
        func running<T: Sendable>(_ body: () async throws -> T) async throws -> T {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                // Stop as the server does: cancel the engine, which ends running commands without recording them.
                group.cancelAll()
                // The store is closed on every path (the engine may throw when cancelled while recovering): a
                // SQLite connection dropped open ends the whole test process.
                var stopError: (any Error)?
                do { try await group.next() } catch { stopError = error }
                try await store.close()
                if let stopError { throw stopError }
                return try result.get()
            }
        }

        func waitUntilFinal(_ id: Int64) async throws -> DeploymentRecord {
            for _ in 0..<600 {
                if let record = try await store.deployment(id), record.status.isFinal { return record }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw CancellationError()
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    func request(_ operation: String, nodes: [String], parameters: [String: String] = [:], strategy: String = "all-at-once", queue: Bool = false) -> DeploymentRequest {
        DeploymentRequest(operation: operation, selection: Selection(nodes: nodes), parameters: parameters, strategy: strategy, reason: "test", requestedBy: "tester", queue: queue)
    }

    @Test func aNodesLinesAreStoredInOrderWithContiguousNumbersAndReachEveryViewerOnce() async throws {
        let operation = Operation(name: "chatty", idempotent: true, steps: [
            Step(name: "count", command: .shell("seq 1 20000; echo done >&2")),
        ])
        let fixture = try await Fixture.make(nodes: 1, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            // Fifty viewers of the same log, subscribed before it starts.
            let viewers = (0..<50).map { _ in fixture.engine.feed.subscribe(deploymentID: 1) }
            let record = try await fixture.engine.create(request("chatty", nodes: ["n1"]))
            #expect(try await fixture.waitUntilFinal(record.id).status == .succeeded)

            let lines = try await fixture.store.logLines(of: record.id, targets: nil, afterID: 0, limit: 100_000)
            #expect(lines.map(\.seq) == Array(1...lines.count))
            #expect(lines.filter { $0.stream == .stdout }.map(\.text) == (1...20000).map(String.init))
            #expect(lines.contains { $0.stream == .stderr && $0.text == "done" })

            // Every viewer saw exactly the stored lines, in order, once.
            let storedIDs = lines.map(\.id)
            await withTaskGroup(of: [Int64].self) { group in
                for viewer in viewers {
                    group.addTask {
                        var seen: [Int64] = []
                        for await update in viewer {
                            if case .logLines(let batch) = update { seen += batch.map(\.id) }
                            if seen.count >= storedIDs.count { break }
                        }
                        return seen
                    }
                }
                for await seen in group { #expect(seen == storedIDs) }
            }
        }
    }

    @Test func aSecondDeploymentOnABusyNodeIsRefusedNamingTheNodeOrQueued() async throws {
        let operation = Operation(name: "slow", idempotent: true, steps: [Step(name: "wait", command: .argv(["sleep", "0.5"]))])
        let fixture = try await Fixture.make(nodes: 3, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            let first = try await fixture.engine.create(request("slow", nodes: ["n1", "n2"]))
            await #expect(throws: EngineError.self) { try await fixture.engine.create(request("slow", nodes: ["n2", "n3"])) }
            do {
                _ = try await fixture.engine.create(request("slow", nodes: ["n2", "n3"]))
            } catch let error as EngineError {
                #expect(error.message.contains("n2"))
                #expect(error.message.contains("#\(first.id)"))
                #expect(!error.message.contains("n3"))
            }
            let queued = try await fixture.engine.create(request("slow", nodes: ["n2", "n3"], queue: true))
            #expect(queued.status == .queued)
            #expect(try await fixture.waitUntilFinal(first.id).status == .succeeded)
            #expect(try await fixture.waitUntilFinal(queued.id).status == .succeeded)
        }
    }

    @Test func badRequestsSayWhatIsWrong() async throws {
        let operation = Operation(
            name: "typed", parameters: [Parameter(name: "count", kind: .int, required: true)],
            steps: [Step(name: "noop", command: .argv(["true"]))]
        )
        let fixture = try await Fixture.make(nodes: 1, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
        func message(_ request: DeploymentRequest) async -> String {
            do {
                _ = try await fixture.engine.create(request)
                return "accepted"
            } catch {
                return error.message
            }
        }
        #expect(await message(request("nope", nodes: ["n1"])).contains("unknown operation 'nope'"))
        #expect(await message(request("typed", nodes: ["n9"], parameters: ["count": "3"])).contains("unknown node 'n9'"))
        #expect(await message(request("typed", nodes: ["n1"])).contains("count"))
        #expect(await message(request("typed", nodes: ["n1"], parameters: ["count": "three"])).contains("count"))
        #expect(await message(request("typed", nodes: ["n1"], parameters: ["count": "3"], strategy: "zigzag")).contains("unknown strategy 'zigzag'"))
        var blank = request("typed", nodes: ["n1"], parameters: ["count": "3"])
        blank.reason = "  "
        #expect(await message(blank).contains("reason"))
        // Nothing was stored by the refused requests.
        let stored = (try? await fixture.store.deployments(DeploymentQuery())) ?? []
        #expect(stored.isEmpty)
        }
    }

    @Test func aCheckIsRetriedUntilItPassesAndAFailingOneNamesItsTries() async throws {
        // The post-check passes on its third try on n1 (a counter in the node's directory); on n2 never.
        let operation = Operation(
            name: "flaky", idempotent: true,
            steps: [Step(name: "noop", command: .argv(["true"]))],
            postChecks: [Check(
                name: "warm", command: .shell("n=$(cat tries 2>/dev/null || echo 0); n=$((n+1)); echo $n > tries; [ \"$WAVELINE_NODE\" = n1 ] && [ $n -ge 3 ]"),
                retries: 3, interval: .milliseconds(50), timeout: .seconds(5)
            )]
        )
        let fixture = try await Fixture.make(nodes: 2, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            let record = try await fixture.engine.create(request("flaky", nodes: ["n1", "n2"]))
            #expect(try await fixture.waitUntilFinal(record.id).status == .finishedWithFailures)
            let targets = try await fixture.store.targets(of: record.id)
            let n1 = try #require(targets.first { $0.node == "n1" })
            let n2 = try #require(targets.first { $0.node == "n2" })
            #expect(n1.status == .succeeded)
            #expect(n2.status == .failed)
            #expect(n2.failure?.stage == .postCheck)
            #expect(n2.failure?.reason.contains("after 4 tries") == true, "\(n2.failure?.reason ?? "")")
            let runs = try await fixture.store.stepRuns(of: record.id, target: n1.targetIndex).filter { $0.stage == .postCheck }
            #expect(runs.map(\.attempt) == [1, 2, 3])
            #expect(runs.map(\.status) == [.failed, .failed, .succeeded])
            #expect(try await fixture.store.stepRuns(of: record.id, target: n2.targetIndex).filter { $0.stage == .postCheck }.count == 4)
        }
    }

    @Test func aRollbackAskedTheMomentADeploymentSucceedsIsCarriedOut() async throws {
        // The feed announces the final state right after it is stored, while the deployment's driver is still
        // winding down: a rollback asked then reached the ending driver and was refused ("has just finished").
        // It must be carried out, as it is a moment later. Several rounds, each asking on the announcement.
        let operation = Operation(
            name: "quick", idempotent: true, steps: [Step(name: "noop", command: .argv(["true"]))],
            rollback: [Step(name: "undo", command: .argv(["true"]))]
        )
        let fixture = try await Fixture.make(nodes: 1, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            for _ in 0..<30 {
                let record = try await fixture.engine.create(request("quick", nodes: ["n1"]))
                let updates = fixture.engine.feed.subscribe(deploymentID: record.id)
                var asked = false
                for await update in updates {
                    guard case .deploymentChanged = update, let stored = try await fixture.store.deployment(record.id),
                          stored.status == .succeeded else { continue }
                    try await fixture.engine.perform(.rollback, on: record.id, actor: "tester")
                    asked = true
                    break
                }
                #expect(asked)
                #expect(try await fixture.waitUntilFinal(record.id).status == .rolledBack)
            }
        }
    }

    @Test func aNodeIsDeployedAgainTheMomentItsDeploymentIsSeenFinished() async throws {
        // The final state is stored (and announced) while the driver still lets go of the node: a new request
        // for the node then waits for that, rather than being refused over a deployment shown finished. The
        // step prints, so that winding down (flushing the log) takes a moment.
        let operation = Operation(name: "quick", idempotent: true, steps: [Step(name: "print", command: .argv(["seq", "1", "20000"]))])
        let fixture = try await Fixture.make(nodes: 1, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            var record = try await fixture.engine.create(request("quick", nodes: ["n1"]))
            for _ in 0..<20 {
                let updates = fixture.engine.feed.subscribe(deploymentID: record.id)
                for await update in updates {
                    guard case .deploymentChanged = update, let stored = try await fixture.store.deployment(record.id),
                          stored.status.isFinal else { continue }
                    #expect(stored.status == .succeeded)
                    break
                }
                record = try await fixture.engine.create(request("quick", nodes: ["n1"]))
            }
            #expect(try await fixture.waitUntilFinal(record.id).status == .succeeded)
        }
    }

    @Test func concurrentRequestsForOneNodeStartOnlyOneDeployment() async throws {
        let operation = Operation(name: "slow", idempotent: true, steps: [Step(name: "wait", command: .argv(["sleep", "30"]))])
        let fixture = try await Fixture.make(nodes: 2, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            let outcomes = await withTaskGroup(of: Result<Int64, EngineError>.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do throws(EngineError) {
                            return .success(try await fixture.engine.create(self.request("slow", nodes: ["n1"])).id)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let accepted = outcomes.compactMap { try? $0.get() }
            #expect(accepted.count == 1, "\(outcomes)")
            for case .failure(let error) in outcomes {
                #expect(error.message.contains("n1 (deployment #\(accepted.first ?? 0))"), "\(error.message)")
            }
            #expect(await fixture.engine.busyNodes() == ["n1": accepted.first ?? 0])
            for id in accepted { try await fixture.engine.perform(.abort, on: id, actor: "tester") }
        }
    }

    /// Runs `action` by `actors.count` people at once on deployment `id`; what each was answered.
    func concurrently(_ action: OperatorAction, on id: Int64, by actors: [String], in fixture: Fixture) async -> [String] {
        await withTaskGroup(of: String.self) { group in
            for actor in actors {
                group.addTask {
                    do throws(EngineError) {
                        try await fixture.engine.perform(action, on: id, actor: actor)
                        return "done"
                    } catch {
                        return error.message
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func twoApprovalsAtOnceStartTheDeploymentOnce() async throws {
        let operation = Operation(name: "slow", idempotent: true, steps: [Step(name: "wait", command: .argv(["sleep", "30"]))])
        let fixture = try await Fixture.make(nodes: 2, operation: operation, protected: true)
        defer { fixture.remove() }
        try await fixture.running {
            for _ in 0..<5 {
                var asked = request("slow", nodes: ["n1", "n2"])
                asked.ticket = "OPS-1"
                let record = try await fixture.engine.create(asked)
                #expect(record.status == .pendingApproval)
                let answers = await concurrently(.approve, on: record.id, by: ["ann", "bob", "cy"], in: fixture)
                #expect(answers.filter { $0 == "done" }.count == 1, "\(answers)")
                #expect(answers.filter { $0.contains("no gate is waiting for approval; it was approved by") }.count == 2, "\(answers)")
                let approvals = try await fixture.store.events(of: record.id, afterID: 0, limit: 100).filter { $0.kind == "action.approve" }
                #expect(approvals.count == 1)
                #expect(try await fixture.store.deployment(record.id)?.status == .running)
                try await fixture.engine.perform(.abort, on: record.id, actor: "tester")
                #expect(try await fixture.waitUntilFinal(record.id).status == .cancelled)
            }
        }
    }

    @Test func twoRollbacksAtOnceRollBackOnce() async throws {
        let operation = Operation(
            name: "quick", idempotent: true, steps: [Step(name: "noop", command: .argv(["true"]))],
            rollback: [Step(name: "undo", command: .shell("echo undone >> undo.log"))]
        )
        let fixture = try await Fixture.make(nodes: 1, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            let record = try await fixture.engine.create(request("quick", nodes: ["n1"]))
            #expect(try await fixture.waitUntilFinal(record.id).status == .succeeded)
            let answers = await concurrently(.rollback, on: record.id, by: ["ann", "bob", "cy"], in: fixture)
            #expect(answers.filter { $0 == "done" }.count == 1, "\(answers)")
            #expect(answers.filter { $0.contains("already roll") }.count == 2, "\(answers)")
            #expect(try await fixture.waitUntilFinal(record.id).status == .rolledBack)
            let phases = try await fixture.store.phases(of: record.id)
            #expect(phases.filter { $0.kind == .rollback }.count == 1)
        }
    }

    @Test func anAbortWhileTheQueueStartsADeploymentEndsIt() async throws {
        // A queued deployment is started by the queue as its node frees up; an abort arriving then must end
        // it, whichever comes first, never leave it running.
        let operation = Operation(name: "quick", idempotent: true, steps: [Step(name: "wait", command: .argv(["sleep", "0.2"]))])
        let fixture = try await Fixture.make(nodes: 1, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            for _ in 0..<5 {
                let first = try await fixture.engine.create(request("quick", nodes: ["n1"]))
                let second = try await fixture.engine.create(request("quick", nodes: ["n1"], queue: true))
                #expect(second.status == .queued)
                _ = try await fixture.waitUntilFinal(first.id)
                try await fixture.engine.perform(.abort, on: second.id, actor: "tester")
                #expect(try await fixture.waitUntilFinal(second.id).status == .cancelled)
                // The next round's first deployment finds n1 free (it is not queued).
            }
        }
    }

    @Test func aDeploymentWhoseStoredOperationIsUnreadableFailsAndFreesItsNodes() async throws {
        let operation = Operation(name: "slow", idempotent: true, steps: [Step(name: "wait", command: .argv(["sleep", "30"]))])
        // A first server starts a deployment on n1 and stops while it runs; its stored operation is then damaged.
        let first = try await Fixture.make(nodes: 1, operation: operation)
        defer { first.remove() }
        try await first.running {
            let record = try await first.engine.create(request("slow", nodes: ["n1"]))
            for _ in 0..<100 where try await first.store.targets(of: record.id).first?.status != .running {
                try await Task.sleep(for: .milliseconds(50))
            }
            var damaged = try #require(try await first.store.deployment(record.id))
            damaged.operationJson = "{\"name\": \"slow\", \"steps\": 7}"
            try await first.store.write([.saveDeployment(damaged)])
        }
        // The next start cannot resume it: it fails, saying why, and n1 is free for a new deployment.
        let second = try await Fixture.make(nodes: 1, operation: operation, directory: first.directory)
        try await second.running {
            let next = try await second.engine.create(request("slow", nodes: ["n1"]))
            let stored = try #require(try await second.store.deployment(1))
            #expect(stored.status == .failed)
            #expect(stored.statusReason?.contains("stored operation 'slow' is unreadable") == true, "\(stored.statusReason ?? "")")
            #expect(await second.engine.busyNodes() == ["n1": next.id])
            try await second.engine.perform(.abort, on: next.id, actor: "tester")
        }
    }

    @Test func requestsArrivingBeforeRecoveryFinishesWaitForIt() async throws {
        let operation = Operation(name: "slow", idempotent: true, steps: [Step(name: "wait", command: .argv(["sleep", "30"]))])
        // A first server starts a deployment on n1 and stops while it runs.
        let first = try await Fixture.make(nodes: 2, operation: operation)
        defer { first.remove() }
        try await first.running {
            let record = try await first.engine.create(request("slow", nodes: ["n1"]))
            #expect(record.id == 1)
            for _ in 0..<100 where try await first.store.targets(of: 1).first?.status != .running {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        // The next one is asked for a deployment on n1 before it has resumed the first: it must know both the
        // ids in use and that n1 is busy.
        let second = try await Fixture.make(nodes: 2, operation: operation, directory: first.directory)
        var failure: (any Error)?
        do { try await withThrowingTaskGroup(of: Void.self) { group in
            let early = Task { () -> Result<DeploymentRecord, EngineError> in
                do throws(EngineError) {
                    return .success(try await second.engine.create(request("slow", nodes: ["n1"])))
                } catch {
                    return .failure(error)
                }
            }
            let fresh = Task { try await second.engine.create(request("slow", nodes: ["n2"])) }
            try await Task.sleep(for: .milliseconds(100))
            group.addTask { try await second.engine.run() }
            switch await early.value {
            case .success(let record): Issue.record("n1 is held by deployment #1, yet #\(record.id) was created")
            case .failure(let error): #expect(error.message.contains("n1") && error.message.contains("#1"), "\(error.message)")
            }
            #expect(try await fresh.value.id == 2)
            try await second.engine.perform(.abort, on: 1, actor: "tester")
            try await second.engine.perform(.abort, on: 2, actor: "tester")
            group.cancelAll()
            try await group.next()
        } } catch { failure = error }
        // Closed on every path: a SQLite connection dropped open ends the whole test process.
        try await second.store.close()
        if let failure { throw failure }
    }
}

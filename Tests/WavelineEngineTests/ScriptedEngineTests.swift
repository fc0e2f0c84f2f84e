import Foundation
import Testing
import WavelineCore
import WavelineEngine
import WavelineExecutors
import WavelineStore
import WavelineTesting

/// The engine on a manual time with a scripted executor: steps end when the test says, time moves when the
/// test moves it, so races and expiry are arranged by events, with no process and no sleep.
// Waits follow the live feed without a bound of their own: a broken engine fails the test at the limit
// instead of hanging the run.
@Suite(.timeLimit(.minutes(1)))
struct ScriptedEngineTests {
    struct Fixture {
        let directory: String
        /// The store the engine writes, read directly (the engine keeps its own to itself).
        let store: any DeploymentStore
        let engine: Engine
        let executor: ScriptedExecutor
        let time: ManualTime

        /// Node `n1…` in cluster `c1`, environment `prod` (protected when asked), and one operation.
        static func make(
            nodes: Int, operation: WavelineCore.Operation, protected: Bool = false, approvalValidity: Double = 3600,
            secrets: [String: SecretReference] = [:], secretValues: [SecretReference: String] = [:]
        ) async throws -> Fixture {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-scripted-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let cluster = Cluster(
                name: "c1", product: "app", environment: "prod", zones: ["a"],
                nodes: (1...nodes).map { Node(name: "n\($0)", cluster: "c1", zone: "a") }
            )
            var environment = Environment(name: "prod", protected: protected)
            environment.secrets = secrets.isEmpty ? nil : secrets
            let inventory = Inventory(environments: [environment], products: [Product(name: "app", owner: "team")], clusters: [cluster])
            let executor = ScriptedExecutor()
            let time = ManualTime()
            let store = try await SQLDeploymentStore.sqlite(path: directory + "/waveline.sqlite")
            let engine = try await Engine(
                store: store,
                workspace: Workspace(inventory: inventory, operations: [operation], strategies: Strategy.builtIn),
                executors: ExecutorRegistry(local: executor), approvalValidity: approvalValidity, time: time,
                secrets: FixedSecrets(values: secretValues)
            )
            return Fixture(directory: directory, store: store, engine: engine, executor: executor, time: time)
        }

        func running<T: Sendable>(_ body: () async throws -> T) async throws -> T {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                group.cancelAll()
                var stopError: (any Error)?
                do { try await group.next() } catch { stopError = error }
                try await store.close()
                if let stopError { throw stopError }
                return try result.get()
            }
        }

        /// The deployment once it is in `status`: the engine's updates are followed, not polled on a timer.
        func until(_ id: Int64, is status: DeploymentStatus) async throws -> DeploymentRecord {
            let updates = engine.feed.subscribe(deploymentID: id)
            if let record = try await store.deployment(id), record.status == status { return record }
            for await _ in updates {
                if let record = try await store.deployment(id), record.status == status { return record }
            }
            throw CancellationError()
        }

        func untilFinal(_ id: Int64) async throws -> DeploymentRecord {
            let updates = engine.feed.subscribe(deploymentID: id)
            if let record = try await store.deployment(id), record.status.isFinal { return record }
            for await _ in updates {
                if let record = try await store.deployment(id), record.status.isFinal { return record }
            }
            throw CancellationError()
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    func request(_ nodes: [String], by requester: String = "alice", queue: Bool = false) -> DeploymentRequest {
        DeploymentRequest(
            operation: "upgrade", selection: Selection(nodes: nodes), strategy: "all-at-once", reason: "test",
            ticket: "CHG-1", requestedBy: requester, queue: queue
        )
    }

    static let upgrade = Operation(name: "upgrade", idempotent: true, steps: [Step(name: "install", command: .argv(["install"]))])

    @Test func anApprovalThatExpiresWhileTheDeploymentWaitsIsVoidOnTheTimeGiven() async throws {
        let fixture = try await Fixture.make(nodes: 1, operation: Self.upgrade, protected: true, approvalValidity: 3600)
        defer { fixture.remove() }
        try await fixture.running {
            fixture.executor.script(step: "install", .held(thenExits: 0), .exits(0))
            let first = try await fixture.engine.create(request(["n1"]))
            try await fixture.engine.perform(.approve, on: first.id, actor: "bob")
            await fixture.executor.untilStarted(step: "install", node: "n1")

            let second = try await fixture.engine.create(request(["n1"]))
            try await fixture.engine.perform(.approve, on: second.id, actor: "bob")
            let queued = try #require(try await fixture.store.deployment(second.id))
            #expect(queued.status == .queued)
            #expect(queued.statusReason == "approved by bob; queued behind deployment #\(first.id), which holds n1")

            // An hour and a moment later the node is let go: the approval is older than its validity.
            fixture.time.advance(by: 3600.5)
            #expect(fixture.executor.release(step: "install", node: "n1"))
            #expect(try await fixture.until(first.id, is: .succeeded).status == .succeeded)
            let voided = try await fixture.until(second.id, is: .pendingApproval)
            #expect(voided.approvedBy == nil)
            #expect(voided.statusReason == "the approval by bob expired (older than 1 h) before the deployment could start; waiting for approval by someone other than alice: prod is protected")
            #expect(fixture.executor.started.count == 1, "the voided deployment ran nothing")

            // Approved again, it starts at once on the free node.
            try await fixture.engine.perform(.approve, on: second.id, actor: "bob")
            #expect(try await fixture.until(second.id, is: .succeeded).approvedBy == "bob")
        }
    }

    @Test func anApprovalWithinItsValidityStartsTheDeploymentWhenItsNodeIsFree() async throws {
        let fixture = try await Fixture.make(nodes: 1, operation: Self.upgrade, protected: true, approvalValidity: 3600)
        defer { fixture.remove() }
        try await fixture.running {
            fixture.executor.script(step: "install", .held(thenExits: 0), .exits(0))
            let first = try await fixture.engine.create(request(["n1"]))
            try await fixture.engine.perform(.approve, on: first.id, actor: "bob")
            await fixture.executor.untilStarted(step: "install", node: "n1")
            let second = try await fixture.engine.create(request(["n1"]))
            try await fixture.engine.perform(.approve, on: second.id, actor: "bob")
            fixture.time.advance(by: 3600)
            fixture.executor.release(step: "install", node: "n1")
            #expect(try await fixture.until(second.id, is: .succeeded).approvedBy == "bob")
            #expect(fixture.executor.started.count == 2)
        }
    }

    @Test func actionsWhileAStepIsHeldAreDecidedOnTheDeploymentAsItIsThen() async throws {
        let operation = Operation(
            name: "upgrade", idempotent: true, steps: [Step(name: "install", command: .argv(["install"]))],
            rollback: [Step(name: "restore", command: .argv(["restore"]))]
        )
        let fixture = try await Fixture.make(nodes: 2, operation: operation)
        defer { fixture.remove() }
        try await fixture.running {
            fixture.executor.script(step: "install", node: "n1", .held(thenExits: 0, lines: ["installing"]))
            fixture.executor.script(step: "install", node: "n2", .held(thenExits: 3))
            let record = try await fixture.engine.create(request(["n1", "n2"]))
            await fixture.executor.untilStarted(step: "install", node: "n1")
            await fixture.executor.untilStarted(step: "install", node: "n2")

            // Running: a rollback is refused, a pause is taken while the steps still run.
            await #expect(throws: EngineError.self) { try await fixture.engine.perform(.rollback, on: record.id, actor: "bob") }
            do {
                try await fixture.engine.perform(.rollback, on: record.id, actor: "bob")
            } catch let error as EngineError {
                #expect(error.kind == .conflict)
                #expect(error.message == "cannot rollback deployment #\(record.id): it is running; pause it first so running nodes finish")
            }
            try await fixture.engine.perform(.pause, on: record.id, actor: "bob", reason: "look first")
            #expect(try await fixture.store.deployment(record.id)?.status == .paused)
            // Nothing to retry yet: both nodes still run.
            do {
                try await fixture.engine.perform(.retry, on: record.id, actor: "bob")
                Issue.record("a retry with no failed node was taken")
            } catch let error as EngineError {
                #expect(error.message == "deployment #\(record.id) has no failed or interrupted node")
            }

            // n1 succeeds, n2 fails: paused, a rollback undoes only n1.
            fixture.executor.release(step: "install", node: "n1")
            fixture.executor.release(step: "install", node: "n2")
            try await untilNodes(of: record.id, in: fixture, are: [.succeeded, .failed])
            try await fixture.engine.perform(.rollback, on: record.id, actor: "bob")
            let rolledBack = try await fixture.until(record.id, is: .rolledBack)
            #expect(rolledBack.status == .rolledBack)
            #expect(fixture.executor.started.map(\.step).sorted() == ["install", "install", "restore"])
            #expect(fixture.executor.started.last == .init(node: "n1", step: "restore"))
        }
    }

    @Test func anAbortWhileAStepIsHeldEndsItAsCancelled() async throws {
        let fixture = try await Fixture.make(nodes: 1, operation: Self.upgrade)
        defer { fixture.remove() }
        try await fixture.running {
            fixture.executor.script(step: "install", .held(thenExits: 0))
            let record = try await fixture.engine.create(request(["n1"]))
            await fixture.executor.untilStarted(step: "install", node: "n1")
            try await fixture.engine.perform(.abort, on: record.id, actor: "bob")
            let aborted = try await fixture.until(record.id, is: .cancelled)
            #expect(aborted.statusReason == "aborted by bob")
            #expect(aborted.finishedAt == fixture.time.now(), "ended at the engine's time")
            // The runner stores the step's end before the driver is gone, which it says in an update.
            let updates = fixture.engine.feed.subscribe(deploymentID: record.id)
            if await fixture.engine.isDriving(record.id) {
                for await _ in updates where !(await fixture.engine.isDriving(record.id)) { break }
            }
            let runs = try await fixture.store.stepRuns(of: record.id, target: nil)
            #expect(runs.map(\.status) == [.cancelled])
            #expect(!fixture.executor.release(step: "install", node: "n1"), "the abort ended the held run")
        }
    }

    @Test func secretsComeFromTheSourceTheEngineIsGivenAndAreMaskedInLogs() async throws {
        // Neither name is set in this process's environment: only the given source knows the value.
        let known = SecretReference(source: .env, name: "WAVELINE_TEST_SOURCE_ONLY_PASSWORD")
        let unknown = SecretReference(source: .env, name: "WAVELINE_TEST_SOURCE_UNKNOWN")
        let fixture = try await Fixture.make(nodes: 1, operation: Self.upgrade, secrets: ["DB_PASSWORD": known], secretValues: [known: "s3cret-from-source"])
        defer { fixture.remove() }
        try await fixture.running {
            fixture.executor.script(step: "install", .exits(0, lines: ["connecting with s3cret-from-source"]))
            let record = try await fixture.engine.create(request(["n1"]))
            #expect(try await fixture.untilFinal(record.id).status == .succeeded)
            let lines = try await fixture.store.logLines(of: record.id, targets: nil, afterID: 0, limit: 100)
            #expect(lines.contains { $0.text == "connecting with ********" })
            #expect(!lines.contains { $0.text.contains("s3cret-from-source") })
        }

        let missing = try await Fixture.make(nodes: 1, operation: Self.upgrade, secrets: ["DB_PASSWORD": unknown])
        defer { missing.remove() }
        try await missing.running {
            let record = try await missing.engine.create(request(["n1"]))
            #expect(try await missing.untilFinal(record.id).status == .finishedWithFailures)
            let target = try #require(try await missing.store.targets(of: record.id).first)
            #expect(target.failure?.reason == "secret DB_PASSWORD: the server's environment variable WAVELINE_TEST_SOURCE_UNKNOWN is not set")
            #expect(missing.executor.started.isEmpty, "nothing runs without its secrets")
        }
    }

    /// Waits, following the deployment's updates, until its nodes are in `statuses` (in target order).
    func untilNodes(of id: Int64, in fixture: Fixture, are statuses: [TargetStatus]) async throws {
        let updates = fixture.engine.feed.subscribe(deploymentID: id)
        if try await fixture.store.targets(of: id).map(\.status) == statuses { return }
        for await _ in updates {
            if try await fixture.store.targets(of: id).map(\.status) == statuses { return }
        }
        throw CancellationError()
    }
}

/// Secret values a test gives, by reference.
struct FixedSecrets: SecretSource {
    var values: [SecretReference: String]
    func value(of reference: SecretReference) -> String? { values[reference] }
}

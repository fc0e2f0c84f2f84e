import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import WavelineAPI
import WavelineCore
import WavelineEngine
import WavelineExecutors
import WavelineServer
import WavelineStore
import WavelineTesting

/// Many viewers of one log cost the store one read, not one per viewer and line: followers of the log stream
/// read the backlog once and then follow the in-memory feed. A follower too slow for the feed is ended and
/// resumes from its Last-Event-ID, without a gap or a line twice.
///
/// In-process (the engine, the real router, a real socket), so the store can be wrapped to count its reads.
@Suite(.serialized, .timeLimit(.minutes(2))) struct LogFanOutTests {
    /// The real store, its reads counted by method, with `deployment(_:)` reads optionally slowed down.
    final class CountingStore: DeploymentStore {
        let base: any DeploymentStore
        let deploymentReadDelay: Duration
        private let counts = Mutex<[String: Int]>([:])

        init(_ base: any DeploymentStore, deploymentReadDelay: Duration = .zero) {
            self.base = base
            self.deploymentReadDelay = deploymentReadDelay
        }

        func reads(_ method: String) -> Int { counts.withLock { $0[method] ?? 0 } }
        var allReads: Int { counts.withLock { $0.values.reduce(0, +) } }

        private func count(_ method: String) { counts.withLock { $0[method, default: 0] += 1 } }

        func write(_ changes: [StoreChange]) async throws { try await base.write(changes) }
        func nextDeploymentID() async throws -> Int64 { try await base.nextDeploymentID() }
        func maxLogLineID() async throws -> Int64 { try await base.maxLogLineID() }
        func deployment(_ id: Int64) async throws -> DeploymentRecord? {
            count("deployment")
            if deploymentReadDelay > .zero { try await Task.sleep(for: deploymentReadDelay) }
            return try await base.deployment(id)
        }
        func deployments(_ query: DeploymentQuery) async throws -> [DeploymentRecord] {
            count("deployments")
            return try await base.deployments(query)
        }
        func unfinishedDeployments() async throws -> [DeploymentRecord] {
            let records = try await base.unfinishedDeployments()
            count("unfinishedDeployments")  // once it has answered: the engine's recovery is then as good as done
            return records
        }
        func phases(of deploymentID: Int64) async throws -> [PhaseRecord] {
            count("phases")
            return try await base.phases(of: deploymentID)
        }
        func targets(of deploymentID: Int64) async throws -> [TargetRecord] {
            count("targets")
            return try await base.targets(of: deploymentID)
        }
        func stepRuns(of deploymentID: Int64, target: Int?) async throws -> [StepRunRecord] {
            count("stepRuns")
            return try await base.stepRuns(of: deploymentID, target: target)
        }
        func logLines(of deploymentID: Int64, targets: [Int]?, afterID: Int64, limit: Int) async throws -> [LogLineRecord] {
            count("logLines")
            return try await base.logLines(of: deploymentID, targets: targets, afterID: afterID, limit: limit)
        }
        func lastLogLines(of deploymentID: Int64, target: Int, count lines: Int) async throws -> [LogLineRecord] {
            count("lastLogLines")
            return try await base.lastLogLines(of: deploymentID, target: target, count: lines)
        }
        func events(of deploymentID: Int64?, afterID: Int64, limit: Int) async throws -> [EventRecord] {
            count("events")
            return try await base.events(of: deploymentID, afterID: afterID, limit: limit)
        }
        func events(_ query: EventQuery) async throws -> [EventRecord] {
            count("events")
            return try await base.events(query)
        }
        func nodeStates() async throws -> [NodeStateRecord] {
            count("nodeStates")
            return try await base.nodeStates()
        }
        func nodeState(named node: String) async throws -> NodeStateRecord? {
            count("nodeState")
            return try await base.nodeState(named: node)
        }
        func nodeHistory(node: String, limit: Int, before: NodeRunCursor?) async throws -> [NodeRunRecord] {
            count("nodeHistory")
            return try await base.nodeHistory(node: node, limit: limit, before: before)
        }
        func close() async throws { try await base.close() }
    }

    /// The engine and the server's router on a free loopback port, for the duration of `body`.
    static func withServer<T: Sendable>(
        nodes: [String], operation: WavelineCore.Operation, feedBufferLimit: Int, deploymentReadDelay: Duration = .zero,
        _ body: (_ engine: Engine, _ store: CountingStore, _ url: String, _ directory: String) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-fanout-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = Cluster(name: "c1", product: "app", environment: "test", zones: ["a"], nodes: nodes.map { Node(name: $0, cluster: "c1", zone: "a") })
        let inventory = Inventory(environments: [Environment(name: "test")], products: [Product(name: "app", owner: "team")], clusters: [cluster])
        let sql = try await SQLDeploymentStore.sqlite(path: directory + "/waveline.sqlite")
        let store = CountingStore(sql, deploymentReadDelay: deploymentReadDelay)
        let accounts = IdentityService(store: sql, passwordCost: 4)
        _ = try await accounts.bootstrap(password: nil, token: Workbench.adminToken)
        let engine = try await Engine(
            store: store, workspace: Workspace(inventory: inventory, operations: [operation], strategies: Strategy.builtIn),
            executors: ExecutorRegistry(local: LocalExecutor(dataDirectory: directory)), feedBufferLimit: feedBufferLimit
        )
        var logger = Logger(label: "fanout")
        logger.logLevel = .warning
        let (ports, portInbox) = AsyncStream<Int>.makeStream()
        let application = Application(
            router: WavelineServerBuilder.makeRouter(engine: engine, reads: ReadSide(reader: store), identities: accounts, logger: logger),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portInbox.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        // The store is closed on every path: a SQLite connection dropped open ends the whole test process.
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            group.addTask { try await application.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HarnessError("the server did not start") }
            // Let the engine's start-up recovery finish before the first deployment: a deployment created while it
            // runs could have its id handed out again and be resumed as if left over. Its last read is the
            // unfinished deployments; after that it only starts what it found (nothing, in an empty store).
            let recovered = await eventually(timeout: .seconds(30)) { store.reads("unfinishedDeployments") > 0 }
            guard recovered else { throw HarnessError("the engine did not recover") }
            try await Task.sleep(for: .milliseconds(100))
            return try await body(engine, store, "http://127.0.0.1:\(port)", directory)
            })
        } catch {
            outcome = .failure(error)
        }
        try await store.close()
        return try outcome.get()
    }

    final class Counter: Sendable {
        private let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
        func add() { count.add(1, ordering: .relaxed) }
    }

    struct Followed: Sendable {
        var ids: [Int64] = []
        var lastID: Int64?
        /// Whether the server sent `end` (the deployment is over), rather than closing the stream early.
        var ended = false
    }

    /// A client for many streams at once: the shared one opens at most 8 connections to a host.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Reads one connection of a log stream to its end; `following` is called when the server has sent the
    /// backlog and follows the live feed.
    static func follow(_ url: String, lastEventID: Int64? = nil, following: @Sendable () -> Void = {}) async throws -> Followed {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(Workbench.adminToken)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        guard response.status == .ok else { throw HarnessError("the stream answered \(response.status.code)") }
        var result = Followed(lastID: lastEventID)
        var pending: [UInt8] = []
        var event = "message", id: Int64?, data = ""
        for try await chunk in response.body {
            pending += chunk.readableBytesView
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if line == ": following" {
                    following()
                } else if line.hasPrefix("event: ") {
                    event = String(line.dropFirst(7))
                } else if line.hasPrefix("id: ") {
                    id = Int64(line.dropFirst(4))
                } else if line.hasPrefix("data: ") {
                    data = String(line.dropFirst(6))
                } else if line.isEmpty {
                    if event == "log", let id {
                        result.ids.append(id)
                        result.lastID = id
                    }
                    if event == "lines", let id {
                        let lines = try JSONDecoder().decode(LogBatchView.self, from: Data(data.utf8)).lines
                        guard lines.last?.id == id else { throw HarnessError("event id \(id) is not the id of its last line") }
                        result.ids += lines.map(\.id)
                        result.lastID = id
                    }
                    if event == "end" { result.ended = true }
                    event = "message"
                    id = nil
                    data = ""
                }
            }
        }
        return result
    }

    @Test(arguments: LogStreamFormat.allCases)
    func manyFollowersOfOneLogCostTheStoreNoReadsPerLine(format: LogStreamFormat) async throws {
        // The step waits for a file, so every follower is following before the first line is written; then it
        // writes 3,000 lines in many small batches.
        let operation = WavelineCore.Operation(name: "chatty", idempotent: true, steps: [Step(name: "talk", command: .shell(
            "while [ ! -f go ]; do sleep 0.02; done; for i in $(seq 1 3000); do echo \"line $i\"; if [ $((i % 100)) -eq 0 ]; then sleep 0.01; fi; done"
        ))])
        let followers = 16
        try await Self.withServer(nodes: ["n1"], operation: operation, feedBufferLimit: 4096) { engine, store, url, directory in
            let id = try await engine.create(DeploymentRequest(
                operation: "chatty", selection: Selection(nodes: ["n1"]), strategy: "all-at-once", reason: "fan-out", requestedBy: "admin"
            )).id
            let following = Counter()
            let results = try await withThrowingTaskGroup(of: Followed.self) { group in
                for _ in 0..<followers {
                    group.addTask {
                        try await Self.follow("\(url)/api/v1/deployments/\(id)/logs/stream?after=0&format=\(format)") { following.add() }
                    }
                }
                let ready = await eventually(timeout: .seconds(20)) { following.value == followers }
                #expect(ready, "only \(following.value) of \(followers) followers got to following")
                let logReadsBefore = store.reads("logLines"), readsBefore = store.allReads
                try FileManager.default.createDirectory(atPath: directory + "/nodes/n1", withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: directory + "/nodes/n1/go", contents: Data())
                var results: [Followed] = []
                for try await result in group { results.append(result) }
                // Each follower read the store's log once more, at the end (to be sure it missed nothing), and
                // the deployment a few times, once per state change: nothing per line.
                let logReads = store.reads("logLines") - logReadsBefore, reads = store.allReads - readsBefore
                #expect(logReads <= followers, "\(logReads) log reads for \(followers) followers")
                #expect(reads <= followers * 8, "\(reads) store reads in all while \(followers) followers followed 3,000 lines")
                return results
            }
            let stored = try await store.logLines(of: id, targets: nil, afterID: 0, limit: 100_000).map(\.id)
            #expect(stored.count > 3_000)
            for result in results {
                #expect(result.ended)
                #expect(result.ids == stored, "every follower gets every line once, in order")
            }
        }
    }

    @Test func aFollowerOfAnAbortedDeploymentGetsItsLastLinesBeforeTheEnd() async throws {
        // The abort is stored (the deployment final) before the step, which takes a moment to stop, has ended
        // and its end is logged.
        let operation = WavelineCore.Operation(name: "stubborn", idempotent: true, steps: [Step(name: "work", command: .shell(
            "trap 'sleep 0.3; exit 1' TERM; echo started; sleep 30 & wait"
        ))])
        try await Self.withServer(nodes: ["n1"], operation: operation, feedBufferLimit: 4096) { engine, store, url, _ in
            let id = try await engine.create(DeploymentRequest(
                operation: "stubborn", selection: Selection(nodes: ["n1"]), strategy: "all-at-once", reason: "abort", requestedBy: "admin"
            )).id
            let started = await eventually(timeout: .seconds(20)) {
                (try? await store.logLines(of: id, targets: nil, afterID: 0, limit: 100).contains { $0.text == "started" }) == true
            }
            #expect(started)
            let following = Counter()
            let follower = Task { try await Self.follow("\(url)/api/v1/deployments/\(id)/logs/stream?format=batches") { following.add() } }
            #expect(await eventually(timeout: .seconds(20)) { following.value == 1 })
            try await engine.perform(.abort, on: id, actor: "admin")
            let followed = try await follower.value
            let stored = try await store.logLines(of: id, targets: nil, afterID: 0, limit: 1000)
            #expect(stored.last?.text.contains("step 'work' cancelled") == true, "\(stored.map(\.text))")
            #expect(followed.ended)
            #expect(followed.ids == stored.map(\.id), "the follower got every line before the end")
        }
    }

    @Test(arguments: LogStreamFormat.allCases)
    func aFollowerThatFallsBehindIsEndedAndResumesWithoutGapsOrDuplicates(format: LogStreamFormat) async throws {
        // n2 writes lines steadily while n1 finishes early. Every read of the deployment is slowed down, so a
        // follower handling n1's state change stops reading the feed for a while; with room for two updates,
        // it falls behind, is ended, and reconnects from its Last-Event-ID (as a browser's EventSource does).
        // Both nodes wait until the follower follows, so a slow start of the test cannot let n1 finish first.
        let operation = WavelineCore.Operation(name: "two-speed", idempotent: true, steps: [Step(name: "talk", command: .shell(
            "while [ ! -f go ]; do sleep 0.02; done; if [ \"$WAVELINE_NODE\" = n1 ]; then sleep 0.4; echo done; else for i in $(seq 1 800); do echo \"line $i\"; sleep 0.002; done; fi"
        ))])
        try await Self.withServer(
            nodes: ["n1", "n2"], operation: operation, feedBufferLimit: 2, deploymentReadDelay: .milliseconds(400)
        ) { engine, store, url, directory in
            let id = try await engine.create(DeploymentRequest(
                operation: "two-speed", selection: Selection(nodes: ["n1", "n2"]), strategy: "all-at-once", reason: "slow follower", requestedBy: "admin"
            )).id
            let go: @Sendable () -> Void = {
                for node in ["n1", "n2"] {
                    try? FileManager.default.createDirectory(atPath: directory + "/nodes/" + node, withIntermediateDirectories: true)
                    _ = FileManager.default.createFile(atPath: directory + "/nodes/" + node + "/go", contents: Data())
                }
            }
            var received: [Int64] = []
            var lastID: Int64?
            var connections = 0
            while connections < 500 {
                connections += 1
                let part = try await Self.follow("\(url)/api/v1/deployments/\(id)/logs/stream?format=\(format)", lastEventID: lastID, following: go)
                received += part.ids
                lastID = part.lastID
                if part.ended { break }
            }
            let stored = try await store.logLines(of: id, targets: nil, afterID: 0, limit: 100_000).map(\.id)
            #expect(connections >= 2, "the follower was never ended: the test did not make it fall behind")
            #expect(stored.count > 800)
            #expect(received.count == Set(received).count, "no line twice")
            #expect(received == stored, "every line, in order, across \(connections) connections")
        }
    }
}

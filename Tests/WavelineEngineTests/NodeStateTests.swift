import Foundation
import Testing
import WavelineCore
import WavelineEngine
import WavelineExecutors
import WavelineStore

/// What Waveline last put on a node: recorded by the node's run itself, with its outcome, and the config digest
/// that tells equal configurations from different ones.
struct NodeStateTests {
    @Test func theDigestIsSHA256OfTheSortedValueLines() {
        // printf 'parameter.version=3.8.0\nvariable.KAFKA_HEAP=4g' | sha256sum
        #expect(ConfigDigest.of(parameters: ["version": "3.8.0"], variables: ["KAFKA_HEAP": "4g"])
            == "e3f3c2cde1091a4554a2166cdf80bb2db316b853d6276e5e34c37effdb5b4735")
        #expect(ConfigDigest.of(parameters: [:], variables: [:]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func equalConfigurationsGiveEqualDigestsAndDifferentOnesDifferentDigests() {
        let base = ConfigDigest.of(parameters: ["version": "3.8.0", "mode": "full"], variables: ["A": "1", "B": "2"])
        #expect(base == ConfigDigest.of(parameters: ["mode": "full", "version": "3.8.0"], variables: ["B": "2", "A": "1"]), "order does not matter")
        let others = [
            ConfigDigest.of(parameters: ["version": "3.8.1", "mode": "full"], variables: ["A": "1", "B": "2"]),
            ConfigDigest.of(parameters: ["version": "3.8.0", "mode": "full"], variables: ["A": "1", "B": "3"]),
            ConfigDigest.of(parameters: ["version": "3.8.0", "mode": "full"], variables: ["A": "1"]),
            // A parameter is not a variable of the same name.
            ConfigDigest.of(parameters: ["version": "3.8.0", "mode": "full", "A": "1"], variables: ["B": "2"]),
        ]
        for other in others { #expect(other != base) }
        // Values that would read as extra lines, or a name holding '=', are escaped rather than confused.
        #expect(ConfigDigest.of(parameters: ["a": "1\nparameter.b=2"], variables: [:]) != ConfigDigest.of(parameters: ["a": "1", "b": "2"], variables: [:]))
        #expect(ConfigDigest.of(parameters: ["a=1": "2"], variables: [:]) != ConfigDigest.of(parameters: ["a": "1=2"], variables: [:]))
        #expect(base.count == 64 && base.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func eachDeployRunThatEndsRecordsWhatItPutOnItsNodeWithItsOutcome() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-nodestate-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = Cluster(
            name: "c1", product: "app", environment: "test", zones: ["a"], variables: ["HEAP": "4g"],
            nodes: [Node(name: "n1", cluster: "c1", zone: "a", variables: ["ID": "1"]), Node(name: "n2", cluster: "c1", zone: "a"),
                    Node(name: "n3", cluster: "c1", zone: "a")]
        )
        let inventory = Inventory(
            environments: [Environment(name: "test", variables: ["LEVEL": "debug"])], products: [Product(name: "app", owner: "team")],
            clusters: [cluster]
        )
        let operation = Operation(
            name: "deploy-version", idempotent: true,
            parameters: [Parameter(name: "version", kind: .string, required: true)],
            steps: [Step(name: "install", command: .shell("[ \"$WAVELINE_NODE\" != n2 ]"))],
            rollback: [Step(name: "previous", command: .argv(["true"]))]
        )
        let store = try await SQLDeploymentStore.sqlite(path: directory + "/waveline.sqlite")
        let engine = try await Engine(
            store: store, workspace: Workspace(inventory: inventory, operations: [operation], strategies: Strategy.builtIn),
            executors: ExecutorRegistry(local: LocalExecutor(dataDirectory: directory))
        )
        func deploy(_ nodes: [String], version: String) async throws -> Int64 {
            let request = DeploymentRequest(
                operation: "deploy-version", selection: Selection(nodes: nodes), parameters: ["version": version],
                strategy: "all-at-once", reason: "test", requestedBy: "tester"
            )
            let record = try await engine.create(request)
            return record.id
        }
        func waitUntil(_ id: Int64, _ status: DeploymentStatus) async throws {
            for _ in 0..<600 {
                if try await store.deployment(id)?.status == status { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            Issue.record("deployment #\(id) did not reach \(status.rawValue)")
        }
        var failure: (any Error)?
        do { try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            defer { group.cancelAll() }
            // Let the engine's start-up recovery finish first: it reads where deployment ids continue, and a
            // deployment created before that read would see its id handed out again (the engine offers no
            // signal for it yet).
            try await Task.sleep(for: .seconds(1))

            #expect(try await store.nodeStates().isEmpty)
            let first = try await deploy(["n1", "n2"], version: "1.0.0")
            try await waitUntil(first, .finishedWithFailures)
            let targets = try await store.targets(of: first)
            var states = Dictionary(uniqueKeysWithValues: try await store.nodeStates().map { ($0.node, $0) })
            #expect(states.keys.sorted() == ["n1", "n2"], "n3 never ran")
            for target in targets {
                let state = try #require(states[target.node])
                #expect(state.deploymentId == first && state.operation == "deploy-version" && state.version == "1.0.0")
                #expect(state.outcome == target.status)
                #expect(state.finishedAt == target.finishedAt, "written with the run's final record")
                #expect(state.cluster == "c1" && state.environment == "test" && state.product == "app")
            }
            #expect(states["n1"]?.outcome == .succeeded && states["n2"]?.outcome == .failed)
            // The digest covers the parameters and the variables the steps saw (environment, cluster, node).
            #expect(states["n1"]?.configDigest == ConfigDigest.of(parameters: ["version": "1.0.0"], variables: ["LEVEL": "debug", "HEAP": "4g", "ID": "1"]))
            #expect(states["n2"]?.configDigest == ConfigDigest.of(parameters: ["version": "1.0.0"], variables: ["LEVEL": "debug", "HEAP": "4g"]))

            // A later deployment replaces n1's state only; its rollback run leaves the state as the deploy run set it.
            let second = try await deploy(["n1"], version: "1.1.0")
            try await waitUntil(second, .succeeded)
            try await engine.perform(.rollback, on: second, actor: "tester")
            try await waitUntil(second, .rolledBack)
            states = Dictionary(uniqueKeysWithValues: try await store.nodeStates().map { ($0.node, $0) })
            #expect(states["n1"]?.deploymentId == second && states["n1"]?.version == "1.1.0" && states["n1"]?.outcome == .succeeded)
            #expect(states["n2"]?.deploymentId == first)
            let history = try await store.nodeHistory(node: "n1", limit: 10, before: nil)
            #expect(history.map(\.deploymentId) == [second, second, first])
            #expect(history.map(\.kind) == [.rollback, .deploy, .deploy])
            await engine.shutdown()
        } } catch { failure = error }
        // Closed on every path: a SQLite connection dropped open ends the whole test process.
        try await store.close()
        if let failure { throw failure }
    }
}

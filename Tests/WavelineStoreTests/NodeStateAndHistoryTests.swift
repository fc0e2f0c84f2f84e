import Testing
import WavelineCore
import WavelineStore

/// What Waveline last put on each node, a node's history across deployments, the event filters and the
/// deployment search: the reads the inventory pages, the audit page and the search box are built on.
@Suite(.timeLimit(.minutes(1)))
struct NodeStateAndHistoryTests {
    static func state(_ node: String, deployment: Int64, outcome: TargetStatus = .succeeded, version: String? = "3.8.0") -> NodeStateRecord {
        NodeStateRecord(
            node: node, cluster: "kafka-prod", environment: "prod", product: "kafka", deploymentId: deployment,
            operation: "deploy-version", outcome: outcome, finishedAt: 1_700_000_100.25 + Double(deployment),
            version: version, configDigest: String(repeating: "ab", count: 32)
        )
    }

    /// A target of `deployment` at `index` on node `node` (the fixture names nodes by index; this renames).
    static func run(_ deployment: Int64, _ index: Int, node: String, kind: TargetKind = .deploy, status: TargetStatus = .succeeded) -> TargetRecord {
        var record = Fixture.target(deployment, index)
        record.node = node
        record.kind = kind
        record.status = status
        if status != .failed { record.failure = nil }
        return record
    }

    @Test(arguments: StoreBackend.all)
    func nodeStatesRoundTripOneRowPerNodeAndTheLastWriteWins(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            #expect(try await store.nodeStates().isEmpty)
            #expect(try await store.nodeState(named: "kafka-prod-1") == nil)
            var unversioned = Self.state("kafka-prod-2", deployment: 1, outcome: .failed, version: nil)
            unversioned.configDigest = String(repeating: "0", count: 64)
            try await store.write([.saveNodeState(Self.state("kafka-prod-1", deployment: 1)), .saveNodeState(unversioned)])
            #expect(try await store.nodeStates() == [Self.state("kafka-prod-1", deployment: 1), unversioned], "every field as written, by node name")

            // A later run on the node replaces its row; in one commit, the last of two writes wins.
            try await store.write([.saveNodeState(Self.state("kafka-prod-1", deployment: 2, version: "3.9.0")),
                                   .saveNodeState(Self.state("kafka-prod-1", deployment: 3, outcome: .failed, version: "4.0.0"))])
            #expect(try await store.nodeState(named: "kafka-prod-1") == Self.state("kafka-prod-1", deployment: 3, outcome: .failed, version: "4.0.0"))
            #expect(try await store.nodeStates().count == 2)

            try await harness.reopen()
            #expect(try await harness.store.nodeStates().map(\.deploymentId) == [3, 1])
        }
    }

    @Test(arguments: StoreBackend.all)
    func aNodeStateIsCommittedWithTheChangesItCameWith(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            try await store.write([.saveDeployment(Fixture.deployment(1)), .saveTarget(Self.run(1, 0, node: "n1"))])
            // A change that cannot be stored (a target of a deployment that does not exist breaks the foreign
            // key) takes the node state written with it down too: they are one commit.
            await #expect(throws: (any Error).self) {
                try await store.write([.saveTarget(Self.run(99, 0, node: "n1")), .saveNodeState(Self.state("n1", deployment: 99))])
            }
            #expect(try await store.nodeState(named: "n1") == nil)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aNodesHistoryIsItsRunsAcrossDeploymentsNewestFirstInPages(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            var changes: [StoreChange] = []
            for id in Int64(1)...5 {
                var deployment = Fixture.deployment(id, status: id == 5 ? .running : .succeeded)
                deployment.parameters = ["version": "3.\(id).0"]
                changes.append(.saveDeployment(deployment))
                // n1 is target 1 of each deployment; deployment 4 also rolled n1 back (target 3); n2 is never n1.
                changes.append(.saveTarget(Self.run(id, 0, node: "n2")))
                changes.append(.saveTarget(Self.run(id, 1, node: "n1", status: id == 2 ? .failed : (id == 5 ? .running : .succeeded))))
                if id == 4 { changes.append(.saveTarget(Self.run(id, 3, node: "n1", kind: .rollback))) }
            }
            try await store.write(changes)

            let all = try await store.nodeHistory(node: "n1", limit: 100, before: nil)
            #expect(all.map { "\($0.deploymentId)-\($0.targetIndex)" } == ["5-1", "4-3", "4-1", "3-1", "2-1", "1-1"])
            #expect(all.allSatisfy { $0.node == "n1" })
            #expect(all[0].deploymentStatus == .running && all[0].status == .running)
            #expect(all[1].kind == .rollback && all[2].kind == .deploy)
            #expect(all[4].status == .failed && all[4].failure == Fixture.target(2, 1).failure, "the failure point comes along")
            #expect(all[3].parameters["version"] == "3.3.0" && all[3].operation == "kafka-restart" && all[3].requestedBy == "alice")
            #expect(all[5].startedAt == 1_700_000_030.5 && all[5].finishedAt == 1_700_000_040.5)

            // Pages of two, each continuing strictly after the last run of the page before: nothing twice, nothing
            // skipped, also where a page ends between the two runs of deployment 4.
            var paged: [String] = []
            var cursor: NodeRunCursor?
            for _ in 0..<10 {
                let page = try await store.nodeHistory(node: "n1", limit: 2, before: cursor)
                paged += page.map { "\($0.deploymentId)-\($0.targetIndex)" }
                guard page.count == 2, let last = page.last else { break }
                cursor = last.cursor
            }
            #expect(paged == all.map { "\($0.deploymentId)-\($0.targetIndex)" })

            // A bare deployment id as the cursor: every run of older deployments.
            #expect(try await store.nodeHistory(node: "n1", limit: 100, before: NodeRunCursor(deploymentId: 4)).map(\.deploymentId) == [3, 2, 1])
            #expect(try await store.nodeHistory(node: "n1", limit: 100, before: NodeRunCursor(deploymentId: 1)).isEmpty)
            #expect(try await store.nodeHistory(node: "nobody", limit: 100, before: nil).isEmpty)
            #expect(try await store.nodeHistory(node: "n2", limit: 100, before: nil).map(\.targetIndex) == [0, 0, 0, 0, 0])
        }
    }

    @Test func historyCursorsReadBackWhatTheyWrite() {
        for text in ["12", "12-0", "12-3", "9000000000-7"] {
            #expect(NodeRunCursor(text)?.description == text)
        }
        for bad in ["", "-", "0", "-3", "12-", "12--3", "12-3-4", "a", "12-x", "1.5", " 12"] {
            #expect(NodeRunCursor(bad) == nil, "'\(bad)'")
        }
    }

    @Test(arguments: StoreBackend.all)
    func eventsFilterByDeploymentKindsAndActorAfterACursor(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            let rows: [(Int64?, String, String)] = [
                (1, "alice", "deployment.created"), (1, "waveline", "phase.started"), (2, "bob", "deployment.created"),
                (1, "bob", "action.approve"), (nil, "waveline", "server.started"), (2, "waveline", "target.failed"),
            ]
            try await store.write(rows.map { deployment, actor, kind in
                .appendEvent(EventRecord(deploymentId: deployment, time: 1_700_000_000, actor: actor, kind: kind, message: "\(kind) by \(actor)"))
            })
            func ids(_ query: EventQuery) async throws -> [Int64] { try await store.events(query).map(\.id) }
            #expect(try await ids(EventQuery()) == [1, 2, 3, 4, 5, 6])
            #expect(try await ids(EventQuery(deploymentID: 1)) == [1, 2, 4])
            #expect(try await ids(EventQuery(kinds: ["deployment.created"])) == [1, 3])
            #expect(try await ids(EventQuery(kinds: ["deployment.created", "target.failed"])) == [1, 3, 6])
            #expect(try await ids(EventQuery(kinds: ["deployment"])) == [], "kinds match exactly")
            #expect(try await ids(EventQuery(actor: "bob")) == [3, 4])
            #expect(try await ids(EventQuery(deploymentID: 2, actor: "waveline")) == [6])
            #expect(try await ids(EventQuery(afterID: 2, limit: 2)) == [3, 4])
            #expect(try await ids(EventQuery(deploymentID: 1, afterID: 2)) == [4])
            #expect(try await ids(EventQuery(afterID: 6)) == [])
        }
    }

    @Test(arguments: StoreBackend.all)
    func searchTextMatchesTheFieldsAPersonTypesAndNothingElse(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            var first = Fixture.deployment(1, environments: ["dev"], products: ["kafka"], requestedBy: "alice")
            first.reason = "Roll out 3.8 to 100 brokers"
            first.ticket = "CHG-1042"
            var second = Fixture.deployment(2, environments: ["prod"], products: ["valkey"], requestedBy: "bob")
            second.reason = "100% of caches_rebuilt"
            second.ticket = nil
            var third = Fixture.deployment(12, environments: ["test"], products: ["trino"], requestedBy: "Carol")
            third.reason = "caches rebuilt"
            try await store.write([first, second, third].map { .saveDeployment($0) })
            func ids(_ text: String) async throws -> [Int64] { try await store.deployments(DeploymentQuery(text: text)).map(\.id) }
            #expect(try await ids("roll OUT") == [1], "reason, case-insensitively")
            #expect(try await ids("chg-10") == [1], "ticket")
            #expect(try await ids("carol") == [12], "requester")
            #expect(try await ids("valkey") == [2], "product")
            #expect(try await ids("prod") == [2], "environment")
            #expect(try await ids("kafka-restart") == [12, 2, 1], "operation")
            #expect(try await ids("100%") == [2], "% is literal")
            #expect(try await ids("caches_rebuilt") == [2], "_ is literal")
            #expect(try await ids("caches rebuilt") == [12])
            #expect(try await ids("#2") == [2], "an id")
            #expect(try await ids("12") == [12], "the id, or text containing it (its ticket OPS-12)")
            #expect(try await ids("   ") == [12, 2, 1], "blank: no filter")
            #expect(try await ids("nothing like it") == [])
            #expect(try await store.deployments(DeploymentQuery(requestedBy: "bob", text: "caches")).map(\.id) == [2], "with other filters")
        }
    }
}

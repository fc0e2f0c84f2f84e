import Testing
import WavelineCore

/// Hand-written plans and runs whose exact shape a person can check by reading.
@Suite struct PlannerExampleTests {
    /// kafka-test: 3 nodes in one zone; kafka-prod: 6 nodes alternating between az1 and az2, declared in
    /// that zone order.
    static let inventory = Inventory(
        environments: [Environment(name: "test"), Environment(name: "prod", protected: true)],
        products: [Product(name: "kafka", owner: "streaming")],
        clusters: [
            Cluster(name: "kafka-test", product: "kafka", environment: "test", zones: ["az1"], nodes: [
                Node(name: "t1", cluster: "kafka-test", zone: "az1"),
                Node(name: "t2", cluster: "kafka-test", zone: "az1"),
                Node(name: "t3", cluster: "kafka-test", zone: "az1"),
            ]),
            Cluster(name: "kafka-prod", product: "kafka", environment: "prod", zones: ["az1", "az2"], nodes: [
                Node(name: "p1", cluster: "kafka-prod", zone: "az1"),
                Node(name: "p2", cluster: "kafka-prod", zone: "az2"),
                Node(name: "p3", cluster: "kafka-prod", zone: "az1"),
                Node(name: "p4", cluster: "kafka-prod", zone: "az2"),
                Node(name: "p5", cluster: "kafka-prod", zone: "az1"),
                Node(name: "p6", cluster: "kafka-prod", zone: "az2"),
            ]),
        ]
    )

    static func names(_ plan: Plan) -> [[[String]]] {
        plan.phases.map { $0.batches.map { $0.map { plan.targets[$0].node.name } } }
    }

    @Test func lightningThunderLayout() throws {
        let nodes = try Self.inventory.select(Selection(products: ["kafka"]))
        let plan = Planner.plan(nodes: nodes, in: Self.inventory, strategy: .lightningThunder)

        #expect(plan.phases.map(\.name) == ["lightning", "thunder"])
        // Lightning: one node per cluster, the first of each cluster's first zone, in one batch.
        // Thunder: 7 nodes in batches of 25% → 2; kafka-prod finishes az1 before it starts az2.
        #expect(Self.names(plan) == [
            [["t1", "p1"]],
            [["t2", "p3"], ["t3", "p5"], ["p2", "p4"], ["p6"]],
        ])
        #expect(plan.targets.map(\.node.name) == ["t1", "p1", "t2", "p3", "t3", "p5", "p2", "p4", "p6"])
        #expect(plan.targets.map(\.phase) == [0, 0, 1, 1, 1, 1, 1, 1, 1])
        #expect(plan.targets.map(\.batch) == [0, 0, 0, 0, 1, 1, 2, 2, 3])
        #expect(plan.targets.map(\.environment) == ["test", "prod", "test", "prod", "test", "prod", "prod", "prod", "prod"])
        #expect(plan.targets.allSatisfy { $0.product == "kafka" })
        #expect(plan.phases[0].gate == .bake(.seconds(5)))
        #expect(plan.phases[1].gate == .automatic)
        #expect(plan.phases[0].failureBudget == 0)
        #expect(plan.phases[1].failureBudget == nil)
        #expect(plan.phases.map(\.parallelism) == [10, 10])
        #expect(plan.failureBudget == 1)
    }

    @Test func oneByOneIsOneNodePerBatchInZoneOrder() throws {
        let nodes = try Self.inventory.select(Selection(clusters: ["kafka-prod"]))
        let plan = Planner.plan(nodes: nodes, in: Self.inventory, strategy: .oneByOne)
        #expect(Self.names(plan) == [[["p1"], ["p3"], ["p5"], ["p2"], ["p4"], ["p6"]]])
        #expect(plan.phases[0].parallelism == 1)
        #expect(plan.failureBudget == 0)
    }

    @Test func emptyPhasesAreDroppedAndTheLastGateIsAutomatic() throws {
        let strategy = Strategy(name: "s", phases: [
            PhaseSpec(name: "canary", size: .count(3), gate: .manual),
            PhaseSpec(name: "rest", size: .rest, gate: .manual),
        ])
        let nodes = try Self.inventory.select(Selection(clusters: ["kafka-test"]))
        let plan = Planner.plan(nodes: nodes, in: Self.inventory, strategy: strategy)
        #expect(Self.names(plan) == [[["t1", "t2", "t3"]]])
        #expect(plan.phases[0].gate == .automatic)
    }

    @Test func lightningThunderRunsPhaseByPhaseAndBakes() throws {
        let nodes = try Self.inventory.select(Selection(products: ["kafka"]))
        var state = DeploymentState(plan: Planner.plan(nodes: nodes, in: Self.inventory, strategy: .lightningThunder))
        var now = 100.0
        var log: [SchedulerAction] = []
        func step() -> [SchedulerAction] {
            let actions = Scheduler.nextActions(for: state, now: now)
            for action in actions { state.apply(action, now: now) }
            log += actions
            return actions
        }
        #expect(step() == [.beginPhase(0)])
        #expect(step() == [.startTargets([0, 1])])
        #expect(step() == [])
        state.targets[0].status = .succeeded
        #expect(step() == [])
        state.targets[1].status = .succeeded
        #expect(step() == [.finishPhase(0)])
        #expect(state.phases[0].status == .gate && state.phases[0].gateOpensAt == 105)
        #expect(step() == [.wakeAt(105)])
        now = 104.9
        #expect(step() == [.wakeAt(105)])
        now = 105
        #expect(step() == [.openGate(0)])
        #expect(step() == [.beginPhase(1)])
        for batch in [[2, 3], [4, 5], [6, 7], [8]] {
            #expect(step() == [.startTargets(batch)])
            for index in batch { state.targets[index].status = .succeeded }
        }
        #expect(step() == [.finishPhase(1)])
        #expect(step() == [.finish(.succeeded, reason: "all nodes succeeded")])
        #expect(state.status == .succeeded)
        #expect(step() == [])
    }

    @Test func aLightningFailureHaltsBeforeThunder() throws {
        let nodes = try Self.inventory.select(Selection(products: ["kafka"]))
        var state = DeploymentState(plan: Planner.plan(nodes: nodes, in: Self.inventory, strategy: .lightningThunder))
        for action in Scheduler.nextActions(for: state, now: 0) { state.apply(action, now: 0) }
        for action in Scheduler.nextActions(for: state, now: 0) { state.apply(action, now: 0) }
        state.targets[0].status = .failed
        state.targets[1].status = .succeeded
        let actions = Scheduler.nextActions(for: state, now: 0)
        guard actions.count == 1, case .halt(let reason) = actions[0] else {
            Issue.record("expected one halt, got \(actions)")
            return
        }
        #expect(reason.contains("lightning"))
        state.apply(actions[0], now: 0)
        #expect(state.status == .halted)
        #expect(Scheduler.nextActions(for: state, now: 0) == [])
    }

    @Test func aManualGateWaitsForItsApproval() throws {
        let strategy = Strategy(name: "s", phases: [
            PhaseSpec(name: "first", size: .perCluster(1), gate: .manual),
            PhaseSpec(name: "second", size: .rest),
        ])
        let nodes = try Self.inventory.select(Selection(clusters: ["kafka-test"]))
        var state = DeploymentState(plan: Planner.plan(nodes: nodes, in: Self.inventory, strategy: strategy))
        for _ in 0..<2 { for action in Scheduler.nextActions(for: state, now: 0) { state.apply(action, now: 0) } }
        state.targets[0].status = .succeeded
        #expect(Scheduler.nextActions(for: state, now: 0) == [.finishPhase(0)])
        state.apply(.finishPhase(0), now: 0)
        #expect(Scheduler.nextActions(for: state, now: 1_000_000) == [])
        state.phases[0].approvedBy = "alice"
        #expect(Scheduler.nextActions(for: state, now: 0) == [.openGate(0)])
    }

    @Test func pausedAndInterruptedDeployments() throws {
        let nodes = try Self.inventory.select(Selection(clusters: ["kafka-test"]))
        var state = DeploymentState(plan: Planner.plan(nodes: nodes, in: Self.inventory, strategy: .allAtOnce))
        for _ in 0..<2 { for action in Scheduler.nextActions(for: state, now: 0) { state.apply(action, now: 0) } }
        #expect(state.targets.allSatisfy { $0.status == .running })
        state.targets[1].status = .interrupted
        let actions = Scheduler.nextActions(for: state, now: 0)
        guard actions.count == 1, case .pause(let reason) = actions[0] else {
            Issue.record("expected one pause, got \(actions)")
            return
        }
        #expect(reason.contains("t2"))
        state.apply(actions[0], now: 0)
        #expect(state.status == .paused)
        state.targets[1].status = .pending
        #expect(Scheduler.nextActions(for: state, now: 0) == [])
    }
}

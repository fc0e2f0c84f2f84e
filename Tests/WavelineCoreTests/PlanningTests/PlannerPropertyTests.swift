import Testing
import WavelineCore

/// Invariants of `Planner.plan` over generated inventories and strategies.
@Suite struct PlannerPropertyTests {
    @Test func plansKeepTheirInvariantsOnGeneratedCases() {
        var failing = 0
        for seed in generatedSeeds {
            let generated = GeneratedCase(seed: seed)
            let plan = Planner.plan(nodes: generated.selected, in: generated.inventory, strategy: generated.strategy)
            var log = InvariantLog(seed: seed)
            checkPlan(plan, for: generated, into: &log)
            if !log.report("Planner.plan", context: generated.summary + "\nplan:\n" + describe(plan)) {
                failing += 1
                if failing >= 5 { break }
            }
        }
    }

    @Test func planningIsDeterministic() {
        for seed in generatedSeeds.prefix(50) {
            let generated = GeneratedCase(seed: seed)
            let first = Planner.plan(nodes: generated.selected, in: generated.inventory, strategy: generated.strategy)
            let second = Planner.plan(nodes: generated.selected, in: generated.inventory, strategy: generated.strategy)
            #expect(first == second, "seed \(seed): the same input gave two plans")
        }
    }

    /// The invariants above must be able to fail: corrupt a good plan in several ways and expect each caught.
    @Test func theInvariantsCatchCorruptedPlans() throws {
        let inventory = PlannerExampleTests.inventory
        let selected = try inventory.select(Selection(products: ["kafka"]))
        let generated = GeneratedCase(seed: 0, inventory: inventory, selected: selected, strategy: .lightningThunder)
        let good = Planner.plan(nodes: selected, in: inventory, strategy: .lightningThunder)
        var log = InvariantLog(seed: 0)
        checkPlan(good, for: generated, into: &log)
        #expect(log.failures.isEmpty, "\(log.failures)")

        let corruptions: [(String, (inout Plan) -> Void)] = [
            ("a target dropped from its batch", { $0.phases[1].batches[0].removeLast() }),
            ("a target in two batches", { $0.phases[1].batches[3].append(2) }),
            ("batches run backwards", { $0.phases[1].batches.reverse() }),
            ("two zones of one cluster in a batch", { plan in
                plan.phases[1].batches = [[2, 3, 6], [4, 5], [7], [8]]
            }),
            ("a batch over its size", { plan in plan.phases[1].batches = [[2, 3, 4], [5], [6, 7], [8]] }),
            ("a short batch that could have been filled", { plan in
                plan.phases[1].batches = [[2], [3], [4, 5], [6, 7], [8]]
            }),
            ("a wrong batch number on a target", { $0.targets[8].batch = 2 }),
            ("two nodes per cluster in lightning", { plan in
                plan.phases[0].batches = [[0, 1, 2]]
                plan.phases[1].batches[0] = [3]
            }),
            ("a gate after the last phase", { $0.phases[1].gate = .manual }),
            ("a lost phase budget", { $0.phases[0].failureBudget = nil }),
        ]
        for (name, corrupt) in corruptions {
            var plan = good
            corrupt(&plan)
            var log = InvariantLog(seed: 0)
            checkPlan(plan, for: generated, into: &log)
            #expect(!log.failures.isEmpty, "not caught: \(name)")
        }
    }

    @Test(arguments: [
        (Amount.count(3), 10, 3), (.percent(10), 5, 1), (.percent(25), 7, 2), (.percent(100), 7, 7),
        (.percent(0), 10, 0), (.percent(50), 0, 0), (.percent(12.5), 8, 1), (.percent(14), 50, 7),
    ])
    func amountsResolveRoundingPercentsUp(amount: Amount, total: Int, expected: Int) {
        #expect(amount.resolve(of: total) == expected)
    }

    /// A percentage the strategy files accept (one decimal) whose exact share is a whole number must resolve
    /// to that number. Fails: `Amount.resolve` rounds up the binary floating-point product, so 8.8% of 375
    /// (exactly 33) gives 34, because 375 × 8.8 / 100 is 33.000000000000004 in `Double`.
    @Test(arguments: [(8.8, 375, 33), (17.6, 375, 66), (32.2, 500, 161), (64.4, 250, 161), (33.3, 1000, 333)])
    func fractionalPercentsThatResolveToWholeNumbersAreNotRoundedUp(percent: Double, total: Int, expected: Int) {
        #expect(Amount.percent(percent).resolve(of: total) == expected, "\(percent)% of \(total)")
    }
}

/// Checks every planner invariant of `plan`, independently of how the planner computes it.
func checkPlan(_ plan: Plan, for generated: GeneratedCase, into log: inout InvariantLog) {
    let inventory = generated.inventory
    let selected = generated.selected
    let strategy = generated.strategy

    // Every selected node is a target exactly once, with the facts of its cluster.
    let targetNames = plan.targets.map(\.node.name)
    log.check(targetNames.count == selected.count,
              "\(plan.targets.count) targets for \(selected.count) selected nodes")
    log.check(Set(targetNames) == Set(selected.map(\.name)), "targets are not the selected nodes")
    log.check(Set(targetNames).count == targetNames.count, "a node is a target more than once")
    let selectedByName = Dictionary(selected.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    for target in plan.targets {
        log.check(selectedByName[target.node.name] == target.node, "target \(target.node.name) is not the node as selected")
        let cluster = inventory.cluster(named: target.node.cluster)
        log.check(target.environment == cluster?.environment && target.product == cluster?.product,
                  "target \(target.node.name) has environment/product \(target.environment)/\(target.product)")
    }

    // Every target is in exactly one batch, and its phase/batch say which.
    let inBatches = plan.phases.flatMap(\.targetIndices)
    log.check(inBatches.sorted() == Array(plan.targets.indices),
              "batches hold target indices \(inBatches.sorted()), expected each of 0..<\(plan.targets.count) once")
    for (p, phase) in plan.phases.enumerated() {
        log.check(!phase.batches.isEmpty, "phase \(p) has no batch")
        for (b, batch) in phase.batches.enumerated() {
            log.check(!batch.isEmpty, "phase \(p) batch \(b) is empty")
            for index in batch where plan.targets.indices.contains(index) {
                let target = plan.targets[index]
                log.check(target.phase == p && target.batch == b,
                          "target \(index) (\(target.node.name)) is in phase \(p) batch \(b) but says phase \(target.phase) batch \(target.batch)")
            }
            // A batch never holds one cluster's nodes from two zones.
            var zones: [String: Set<String>] = [:]
            for index in batch where plan.targets.indices.contains(index) {
                zones[plan.targets[index].node.cluster, default: []].insert(plan.targets[index].node.zone)
            }
            for (cluster, set) in zones where set.count > 1 {
                log.fail("phase \(p) batch \(b) holds nodes of \(cluster) from zones \(set.sorted())")
            }
        }
    }

    // Per cluster, plan order walks the cluster's selected nodes zone by zone in declared zone order, each
    // zone's nodes in inventory order: phases and batches take from the front of that walk.
    let planOrder = plan.phases.flatMap(\.targetIndices).filter { plan.targets.indices.contains($0) }
        .map { plan.targets[$0].node }
    for cluster in inventory.clusters {
        let zones = cluster.zones
        let walked = planOrder.filter { $0.cluster == cluster.name }
        let ranks = walked.map { zones.firstIndex(of: $0.zone) ?? zones.count }
        log.check(zip(ranks, ranks.dropFirst()).allSatisfy { $0 <= $1 },
                  "cluster \(cluster.name) (zones \(zones)) is walked in zone order \(walked.map(\.zone))")
        let expected = selected.filter { $0.cluster == cluster.name }.enumerated()
            .sorted { a, b in
                let ra = zones.firstIndex(of: a.element.zone) ?? zones.count
                let rb = zones.firstIndex(of: b.element.zone) ?? zones.count
                return (ra, a.offset) < (rb, b.offset)
            }
            .map(\.element.name)
        log.check(walked.map(\.name) == expected,
                  "cluster \(cluster.name) is walked as \(walked.map(\.name)), expected \(expected)")
    }

    // Phases: sizes, per-cluster shares, batch sizes, settings. The planner drops phases that would be empty.
    var remaining: [String: Int] = [:]
    for node in selected { remaining[node.cluster, default: 0] += 1 }
    var planIndex = 0
    var specOfPlanPhase: [PhaseSpec] = []
    for (specIndex, spec) in strategy.phases.enumerated() {
        let isLast = specIndex == strategy.phases.count - 1
        let totalRemaining = remaining.values.reduce(0, +)
        let size = isLast ? PhaseSpec.Size.rest : spec.size
        let expectedCount: Int
        switch size {
        case .rest: expectedCount = totalRemaining
        case .count(let wanted): expectedCount = min(wanted, totalRemaining)
        case .percent(let percent): expectedCount = min(Amount.percent(percent).resolve(of: selected.count), totalRemaining)
        case .perCluster(let perCluster): expectedCount = remaining.values.reduce(0) { $0 + min(perCluster, $1) }
        }
        if expectedCount == 0 { continue }
        guard planIndex < plan.phases.count else {
            log.fail("strategy phase \(spec.name) should take \(expectedCount) node(s) but the plan has no phase for it")
            return
        }
        let phase = plan.phases[planIndex]
        specOfPlanPhase.append(spec)
        log.check(phase.name == spec.name, "plan phase \(planIndex) is \(phase.name), expected \(spec.name)")
        let members = phase.targetIndices.filter { plan.targets.indices.contains($0) }.map { plan.targets[$0].node }
        log.check(members.count == expectedCount,
                  "phase \(spec.name) (size \(size)) takes \(members.count) node(s), expected \(expectedCount) of \(totalRemaining) remaining")
        var taken: [String: Int] = [:]
        for node in members { taken[node.cluster, default: 0] += 1 }
        switch size {
        case .perCluster(let perCluster):
            for (cluster, left) in remaining {
                log.check(taken[cluster, default: 0] == min(perCluster, left),
                          "phase \(spec.name) (\(perCluster)/cluster) takes \(taken[cluster, default: 0]) of \(cluster)'s \(left) remaining")
            }
        case .count, .percent:
            // Round robin over clusters: a cluster left with nodes never trails another by more than one.
            for (a, left) in remaining where taken[a, default: 0] < left {
                for (b, _) in remaining where taken[b, default: 0] > taken[a, default: 0] + 1 {
                    log.fail("phase \(spec.name) takes \(taken[b, default: 0]) of \(b) but only \(taken[a, default: 0]) of \(a), which had \(left) left")
                }
            }
        case .rest:
            break
        }
        for (cluster, count) in taken { remaining[cluster, default: 0] -= count }

        let batchLimit = max(1, spec.batchSize.resolve(of: expectedCount))
        for (b, batch) in phase.batches.enumerated() {
            log.check(batch.count <= batchLimit,
                      "phase \(spec.name) batch \(b) holds \(batch.count) node(s), batch size is \(batchLimit)")
        }
        // A batch is short of its size only when zone safety stops every cluster still to come.
        for (b, batch) in phase.batches.enumerated() where batch.count < batchLimit && b < phase.batches.count - 1 {
            let here = batch.filter { plan.targets.indices.contains($0) }.map { plan.targets[$0].node }
            let later = phase.batches[(b + 1)...].flatMap { $0 }.filter { plan.targets.indices.contains($0) }
                .map { plan.targets[$0].node }
            for cluster in Set(later.map(\.cluster)) {
                guard let next = later.first(where: { $0.cluster == cluster }) else { continue }
                let zoneHere = here.first { $0.cluster == cluster }?.zone
                log.check(zoneHere != nil && zoneHere != next.zone,
                          "phase \(spec.name) batch \(b) holds \(batch.count) < \(batchLimit) node(s) yet could have taken \(next.name)")
            }
        }
        log.check(phase.parallelism == max(1, spec.parallelism),
                  "phase \(spec.name) parallelism \(phase.parallelism), expected \(spec.parallelism)")
        log.check(phase.failureBudget == spec.failureBudget?.resolve(of: expectedCount),
                  "phase \(spec.name) budget \(String(describing: phase.failureBudget)), expected \(String(describing: spec.failureBudget?.resolve(of: expectedCount)))")
        planIndex += 1
    }
    log.check(planIndex == plan.phases.count, "the plan has \(plan.phases.count) phases, expected \(planIndex)")
    log.check(remaining.values.allSatisfy { $0 == 0 }, "nodes left unplanned: \(remaining.filter { $0.value != 0 })")
    for (index, spec) in specOfPlanPhase.enumerated() where index < plan.phases.count {
        // The gate after the last phase guards nothing, so it is automatic.
        let expectedGate = index == plan.phases.count - 1 ? PhaseSpec.Gate.automatic : spec.gate
        log.check(plan.phases[index].gate == expectedGate,
                  "phase \(spec.name) gate \(plan.phases[index].gate), expected \(expectedGate)")
    }
    log.check(plan.failureBudget == strategy.failureBudget.resolve(of: selected.count),
              "deployment budget \(plan.failureBudget), expected \(strategy.failureBudget.resolve(of: selected.count))")
}

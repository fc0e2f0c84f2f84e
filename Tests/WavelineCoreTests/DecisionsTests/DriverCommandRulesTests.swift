import Testing
import WavelineCore

/// The rules for a person's action on a deployment whose driver runs, on generated deployments in every
/// status: every accepted action's effect is checked against what the action may change, and every refusal
/// against the statuses that refuse it.
@Suite struct DriverCommandRulesTests {
    @Test func everyActionOnGeneratedDeploymentsKeepsItsRules() {
        var accepted: [OperatorAction: Int] = [:]
        var failing = 0
        for seed in generatedSeeds {
            var rng = SplitMix64(seed: seed ^ 0xAC71_0A5E)
            let deployment = Self.generatedDeployment(seed: seed, rng: &rng)
            var log = InvariantLog(seed: seed)
            for action in OperatorAction.allCases {
                for actor in ["requester", "someone-else"] {
                    let nodes = Self.namedNodes(for: action, in: deployment.state, rng: &rng)
                    let command = DeploymentCommand(action: action, nodes: nodes, actor: actor)
                    switch DriverCommandRules.decide(command, on: deployment) {
                    case .success(let effect):
                        accepted[action, default: 0] += 1
                        Self.check(effect, of: command, on: deployment, log: &log)
                    case .failure(let refusal):
                        Self.check(refusal, of: command, on: deployment, log: &log)
                    }
                }
            }
            if !log.report("driver command rules", context: "status \(deployment.state.status), targets \(deployment.state.targets.map(\.status))") {
                failing += 1
                if failing >= 5 { break }
            }
        }
        // The generator must let every action through sometimes, or the checks above prove little.
        for action in OperatorAction.allCases {
            #expect(accepted[action, default: 0] > 5, "\(action) accepted \(accepted[action, default: 0]) times in \(accepted)")
        }
    }

    /// What an accepted action may change, per action.
    static func check(_ effect: CommandEffect, of command: DeploymentCommand, on deployment: DrivenDeployment, log: inout InvariantLog) {
        let before = deployment.state
        let after = effect.state
        let action = command.action
        // Every changed target and phase is named, so the driver stores all of them.
        for index in after.targets.indices where index >= before.targets.count || after.targets[index] != before.targets[index] {
            log.check(effect.changedTargets.contains(index), "\(action): target \(index) changed but is not named as changed")
        }
        for index in after.phases.indices where index >= before.phases.count || after.phases[index] != before.phases[index] {
            log.check(effect.changedPhases.contains(index), "\(action): phase \(index) changed but is not named as changed")
        }
        log.check(!before.status.isFinal || action == .rollback, "\(action) accepted on a \(before.status) deployment")
        log.check(action == .abort || action == .rollback || !after.status.isFinal, "\(action) finished the deployment")
        log.check(effect.endsRunningSteps == (action == .abort), "\(action): ends running steps \(effect.endsRunningSteps)")
        log.check(effect.rollbackRuns.isEmpty || action == .rollback, "\(action) added rollback runs")
        log.check(after.targets.count == before.targets.count || action == .rollback, "\(action) changed the number of targets")
        switch action {
        case .pause:
            log.check(before.status.isActive && after.status == .paused, "pause: \(before.status) → \(after.status)")
            log.check(after.targets == before.targets, "pause changed targets")
        case .resume:
            log.check([.paused, .halted].contains(before.status), "resume accepted from \(before.status)")
            log.check(!before.targets.contains { $0.status == .interrupted }, "resume accepted with an interrupted node")
            log.check(after.status.isActive, "resume: → \(after.status)")
            log.check(after.status == .rollingBack || Scheduler.overBudget(after) == nil, "resume over budget")
        case .abort:
            log.check(after.status == .cancelled, "abort: → \(after.status)")
            log.check(!after.targets.contains { $0.status == .pending || $0.status == .interrupted }, "abort left a pending or interrupted node")
            log.check(effect.finishTime == .now, "abort does not end now")
        case .retry:
            for index in before.targets.indices where after.targets[index] != before.targets[index] {
                log.check([.failed, .interrupted].contains(before.targets[index].status) && after.targets[index].status == .pending,
                          "retry: target \(index) \(before.targets[index].status) → \(after.targets[index].status)")
            }
            log.check(before.targets != after.targets, "retry changed no node")
            // Resuming a stopped deployment needs it within budget; on a running one the scheduler halts it again.
            log.check(![.halted, .paused].contains(before.status) || after.status == .rollingBack || Scheduler.overBudget(after) == nil,
                      "retry resumed over budget")
        case .skip:
            log.check(!command.nodes.isEmpty, "skip accepted with no node named")
            for index in before.targets.indices where after.targets[index] != before.targets[index] {
                log.check([.pending, .failed, .interrupted].contains(before.targets[index].status) && after.targets[index].status == .skipped,
                          "skip: target \(index) \(before.targets[index].status) → \(after.targets[index].status)")
            }
            log.check(after.status == before.status, "skip changed the status")
        case .approve:
            let gate = before.phases[before.currentPhase]
            log.check(gate.status == .gate && gate.gate == .manual && gate.approvedBy == nil, "approve accepted with no gate waiting")
            log.check(after.phases[before.currentPhase].approvedBy == command.actor, "approve did not record the approver")
            log.check(deployment.protectedEnvironments.isEmpty || command.actor != deployment.requestedBy, "the requester approved a protected gate")
        case .rollback:
            log.check(deployment.hasRollbackSteps, "rollback accepted without rollback steps")
            log.check(!before.phases.contains { $0.kind == .rollback }, "rolled back twice")
            log.check(before.status != .running, "rollback accepted while running")
            log.check(after.status == .rollingBack && after.currentPhase == before.phases.count && after.phases.count == before.phases.count + 1,
                      "rollback: status \(after.status), phase \(after.currentPhase) of \(after.phases.count)")
            let undone = before.targets.indices.filter { before.targets[$0].status == .succeeded && before.targets[$0].kind == .deploy }
            log.check(Set(effect.rollbackRuns.map(\.undoes)) == Set(undone) && effect.rollbackRuns.count == undone.count,
                      "rollback undoes \(effect.rollbackRuns.map(\.undoes)), expected \(undone)")
            for run in effect.rollbackRuns {
                let target = after.targets[run.index]
                log.check(target.kind == .rollback && target.status == .pending && target.phase == before.phases.count
                          && target.node == before.targets[run.undoes].node, "rollback run \(run.index) is \(target)")
            }
            let batched = after.phases[before.phases.count].batches.joined().sorted()
            log.check(batched == effect.rollbackRuns.map(\.index).sorted(), "rollback batches \(batched)")
            log.check(!after.targets.prefix(before.targets.count).contains { $0.status == .pending || $0.status == .interrupted },
                      "rollback left an earlier node pending")
        }
    }

    /// Why an action is refused, per action: only in the states its rules name.
    static func check(_ refusal: Refusal, of command: DeploymentCommand, on deployment: DrivenDeployment, log: inout InvariantLog) {
        let state = deployment.state
        let action = command.action
        let named = refusal.kind == .notFound || refusal.message.hasPrefix("node '") || refusal.message.contains(" has no ")
        switch action {
        case .pause:
            log.check(!state.status.isActive, "pause refused while \(state.status): \(refusal.message)")
        case .resume:
            log.check(![.paused, .halted].contains(state.status) || state.targets.contains { $0.status == .interrupted }
                      || refusal.message.contains("failure budget") || refusal.message.contains("budget"),
                      "resume refused while \(state.status): \(refusal.message)")
        case .abort:
            log.check(state.status.isFinal, "abort refused while \(state.status): \(refusal.message)")
        case .retry, .skip:
            log.check(state.status.isFinal || (action == .retry && state.status == .queued) || named || command.nodes.isEmpty
                      || refusal.message.contains("budget"), "\(action) refused: \(refusal.message)")
        case .approve:
            let gate = state.phases[state.currentPhase]
            let waiting = gate.status == .gate && gate.gate == .manual && gate.approvedBy == nil
            log.check(!waiting || state.status.isFinal || (!deployment.protectedEnvironments.isEmpty && command.actor == deployment.requestedBy),
                      "approve refused with a gate waiting: \(refusal.message)")
        case .rollback:
            log.check(!deployment.hasRollbackSteps || state.phases.contains { $0.kind == .rollback } || state.status == .running
                      || !state.targets.contains { $0.status == .succeeded && $0.kind == .deploy }, "rollback refused: \(refusal.message)")
        }
        log.check(refusal.kind != .invalid || (action == .skip && command.nodes.isEmpty), "\(action) refused as invalid: \(refusal.message)")
        log.check(refusal.message.contains("#\(deployment.id)") || refusal.kind == .invalid, "the refusal does not name the deployment: \(refusal.message)")
    }

    static func generatedDeployment(seed: UInt64, rng: inout SplitMix64) -> DrivenDeployment {
        let generated = GeneratedCase(seed: seed)
        let plan = Planner.plan(nodes: generated.selected, in: generated.inventory, strategy: generated.strategy)
        var state = DeploymentState(plan: plan, status: rng.pick(DeploymentStatus.allCases))
        for index in state.targets.indices {
            state.targets[index].status = rng.pick([.pending, .running, .succeeded, .succeeded, .failed, .skipped, .cancelled, .interrupted])
        }
        state.currentPhase = rng.int(0...(state.phases.count - 1))
        for index in state.phases.indices {
            state.phases[index].status = index < state.currentPhase ? .completed : index > state.currentPhase ? .pending : rng.pick([.running, .gate, .gate])
            if rng.chance(0.5) { state.phases[index].gate = .manual }
            if rng.chance(0.2) { state.phases[index].approvedBy = "earlier" }
        }
        if rng.chance(0.15), let last = state.phases.indices.last {
            // Already rolled back (or rolling back).
            state.phases.append(PhaseState(name: "rollback", kind: .rollback, gate: .automatic, parallelism: 1, failureBudget: nil, batches: []))
            state.currentPhase = last + 1
        }
        return DrivenDeployment(
            id: Int64(seed), state: state, requestedBy: "requester",
            protectedEnvironments: rng.chance(0.5) ? ["prod"] : [], approvedBy: rng.chance(0.3) ? "approver" : nil,
            operationName: "op", hasRollbackSteps: rng.chance(0.8)
        )
    }

    /// None, some or unknown node names, as a person might send them.
    static func namedNodes(for action: OperatorAction, in state: DeploymentState, rng: inout SplitMix64) -> [String] {
        guard action == .retry || action == .skip else { return [] }
        switch rng.int(0...3) {
        case 0: return []
        case 1: return ["not-a-node"]
        default:
            let nodes = state.targets.map(\.node)
            return nodes.isEmpty ? [] : Array(Set((0..<rng.int(1...3)).map { _ in rng.pick(nodes) }))
        }
    }

    // MARK: - The sentences people are told (the API and CLI tests assert them too)

    static func deployment(status: DeploymentStatus, targets: [TargetStatus], protected: [String] = [], gate: PhaseSpec.Gate = .automatic, phaseStatus: PhaseStatus = .running) -> DrivenDeployment {
        var state = DeploymentState(
            status: status,
            phases: [PhaseState(name: "canary", gate: gate, parallelism: 2, failureBudget: nil, batches: [Array(targets.indices)], status: phaseStatus)],
            targets: targets.enumerated().map { TargetState(node: "n\($0.offset + 1)", phase: 0, batch: 0, status: $0.element) },
            failureBudget: 10
        )
        state.currentPhase = 0
        return DrivenDeployment(id: 7, state: state, requestedBy: "alice", protectedEnvironments: protected, operationName: "upgrade", hasRollbackSteps: true)
    }

    @Test func refusalsSayWhatIsWrongInTheirOwnWords() {
        func refusal(_ action: OperatorAction, _ nodes: [String] = [], by actor: String = "bob", on deployment: DrivenDeployment) -> Refusal? {
            if case .failure(let refusal) = DriverCommandRules.decide(DeploymentCommand(action: action, nodes: nodes, actor: actor), on: deployment) { return refusal }
            return nil
        }
        #expect(refusal(.pause, on: Self.deployment(status: .paused, targets: [.pending])) == Refusal(.conflict, "cannot pause deployment #7: it is paused, not running"))
        #expect(refusal(.resume, on: Self.deployment(status: .running, targets: [.pending])) == Refusal(.conflict, "cannot resume deployment #7: it is running; only a paused or halted deployment resumes"))
        #expect(refusal(.resume, on: Self.deployment(status: .paused, targets: [.interrupted])) == Refusal(.conflict, "cannot resume deployment #7: node n1 was interrupted mid-step; retry or skip it first"))
        #expect(refusal(.abort, on: Self.deployment(status: .succeeded, targets: [.succeeded])) == Refusal(.conflict, "cannot abort deployment #7: it is already succeeded"))
        #expect(refusal(.skip, on: Self.deployment(status: .running, targets: [.failed])) == Refusal(.invalid, "skip needs the names of the nodes to skip"))
        #expect(refusal(.skip, ["n9"], on: Self.deployment(status: .running, targets: [.failed])) == Refusal(.notFound, "node 'n9' is not part of deployment #7"))
        #expect(refusal(.retry, ["n1"], on: Self.deployment(status: .running, targets: [.running])) == Refusal(.conflict, "node 'n1' is running in deployment #7; only failed or interrupted nodes qualify"))
        #expect(refusal(.retry, on: Self.deployment(status: .running, targets: [.running])) == Refusal(.conflict, "deployment #7 has no failed or interrupted node"))
        #expect(refusal(.approve, on: Self.deployment(status: .running, targets: [.running])) == Refusal(.conflict, "cannot approve deployment #7: no gate is waiting for approval"))
        #expect(refusal(.approve, by: "alice", on: Self.deployment(status: .running, targets: [.succeeded], protected: ["prod"], gate: .manual, phaseStatus: .gate))
                == Refusal(.conflict, "cannot approve deployment #7: alice requested it, and a gate on the protected environment prod needs a second person's approval (four-eyes)"))
        // A gate still waiting on a deployment that ended (aborted at the gate) no longer opens, driver or not.
        #expect(refusal(.approve, on: Self.deployment(status: .cancelled, targets: [.succeeded], gate: .manual, phaseStatus: .gate)) == Refusal(.conflict, "cannot approve deployment #7: it is cancelled"))
        #expect(refusal(.rollback, on: Self.deployment(status: .running, targets: [.succeeded])) == Refusal(.conflict, "cannot rollback deployment #7: it is running; pause it first so running nodes finish"))
        #expect(refusal(.rollback, on: Self.deployment(status: .paused, targets: [.failed])) == Refusal(.conflict, "cannot rollback deployment #7: no node completed the operation, so there is nothing to roll back"))
    }

    @Test func aRollbackUndoesCompletedNodesInReverseOrderKeepingTheBatches() throws {
        var state = DeploymentState(
            status: .paused,
            phases: [
                PhaseState(name: "canary", gate: .automatic, parallelism: 1, failureBudget: nil, batches: [[0]], status: .completed),
                PhaseState(name: "rest", gate: .automatic, parallelism: 2, failureBudget: nil, batches: [[1, 2], [3]], status: .running),
            ],
            targets: [
                TargetState(node: "a", phase: 0, batch: 0, status: .succeeded),
                TargetState(node: "b", phase: 1, batch: 0, status: .succeeded),
                TargetState(node: "c", phase: 1, batch: 0, status: .failed),
                TargetState(node: "d", phase: 1, batch: 1, status: .pending),
            ],
            failureBudget: 1
        )
        state.currentPhase = 1
        let deployment = DrivenDeployment(id: 3, state: state, requestedBy: "alice", operationName: "upgrade", hasRollbackSteps: true)
        let effect = try DriverCommandRules.decide(DeploymentCommand(action: .rollback, actor: "bob"), on: deployment).get()
        #expect(effect.rollbackRuns == [.init(index: 4, undoes: 1), .init(index: 5, undoes: 0)])
        #expect(effect.state.phases.last?.batches == [[4], [5]])
        #expect(effect.state.phases.last?.parallelism == 2)
        #expect(effect.state.targets[3].status == .cancelled)
        #expect(effect.state.targets[2].status == .failed, "a failed node is left as it is")
        #expect(effect.statusReason == .set("rolling back 2 nodes, asked by bob"))
        #expect(effect.finishTime == .clear)
    }
}

import Testing
import WavelineCore

/// Runs generated plans through `Scheduler.nextActions` and `DeploymentState.apply` the way the engine does,
/// with targets finishing at random moments, and checks the scheduler's rules at every step.
@Suite struct SchedulerSimulationTests {
    @Test func simulatedDeploymentsKeepTheSchedulerRules() {
        var failing = 0
        var outcomes: [DeploymentStatus: Int] = [:]
        for seed in generatedSeeds {
            let generated = GeneratedCase(seed: seed)
            let plan = Planner.plan(nodes: generated.selected, in: generated.inventory, strategy: generated.strategy)
            var simulation = Simulation(plan: plan, seed: seed)
            simulation.run()
            outcomes[simulation.state.status, default: 0] += 1
            if !simulation.log.report(
                "scheduler simulation",
                context: generated.summary + "\nplan:\n" + describe(plan) + "\ntrace (last 40):\n"
                    + simulation.trace.suffix(40).joined(separator: "\n")
            ) {
                failing += 1
                if failing >= 5 { break }
            }
        }
        // The generator must exercise every ending, or the properties above prove little.
        #expect(outcomes[.succeeded, default: 0] > 20, "outcomes: \(outcomes)")
        #expect(outcomes[.finishedWithFailures, default: 0] > 20, "outcomes: \(outcomes)")
        #expect(outcomes[.halted, default: 0] > 20, "outcomes: \(outcomes)")
    }
}

/// One simulated deployment: a fake clock, targets that finish when the simulation decides, an approver.
struct Simulation {
    let plan: Plan
    let seed: UInt64
    var state: DeploymentState
    var log: InvariantLog
    var trace: [String] = []
    private var rng: SplitMix64
    private var now = 1_700_000_000.0
    private var starts: [Int]
    private let failureRate: Double
    private var halted = false

    init(plan: Plan, seed: UInt64) {
        self.plan = plan
        self.seed = seed
        state = DeploymentState(plan: plan)
        log = InvariantLog(seed: seed)
        rng = SplitMix64(seed: seed ^ 0x5EED_5EED_5EED_5EED)
        starts = Array(repeating: 0, count: plan.targets.count)
        failureRate = rng.pick([0, 0, 0.02, 0.1, 0.3, 0.6])
    }

    private var running: [Int] { state.targets.indices.filter { state.targets[$0].status == .running } }

    /// Failures over budget, computed from the plan rather than by the scheduler.
    private var overBudget: Bool {
        let failed = state.targets.indices.filter { state.targets[$0].status == .failed }
        if failed.count > plan.failureBudget { return true }
        return plan.phases.indices.contains { phase in
            guard let budget = plan.phases[phase].failureBudget else { return false }
            return failed.filter { plan.targets[$0].phase == phase }.count > budget
        }
    }

    mutating func run() {
        var steps = 0
        while steps < 50_000 {
            steps += 1
            probePauseAndInterruption()
            let actions = Scheduler.nextActions(for: state, now: now)
            if halted {
                log.check(actions.isEmpty, "after the halt the scheduler still returned \(actions)")
            }
            if state.status == .running && overBudget {
                let isHalt = actions.count == 1 && { if case .halt = actions[0] { true } else { false } }()
                log.check(isHalt, "failures are over budget but the scheduler returned \(actions)")
            }
            if actions.isEmpty {
                if let target = running.randomElement(using: &rng) {
                    finish(target)
                    continue
                }
                let phase = state.currentPhase
                if state.status == .running, state.phases[phase].status == .gate, state.phases[phase].gate == .manual,
                   state.phases[phase].approvedBy == nil {
                    trace.append("approve gate of phase \(phase)")
                    state.phases[phase].approvedBy = "approver"
                    continue
                }
                break
            }
            for action in actions {
                trace.append("\(action)")
                check(action)
                state.apply(action, now: now)
                checkRunning()
                if case .wakeAt(let time) = action {
                    // Sometimes wake early: the gate must stay closed until its time.
                    now = rng.chance(0.3) ? now + (time - now) / 2 : time + Double(rng.int(0...2))
                }
            }
            if rng.chance(0.5) {
                for target in running.shuffled(using: &rng).prefix(rng.int(0...3)) { finish(target) }
            }
        }
        log.check(steps < 50_000, "the deployment did not end within 50000 steps")
        checkEnd()
    }

    private mutating func finish(_ target: Int) {
        let fails = rng.chance(failureRate)
        state.targets[target].status = fails ? .failed : .succeeded
        trace.append("target \(target) \(fails ? "failed" : "succeeded")")
    }

    /// A paused deployment does nothing; an interrupted node pauses a running one (unless it must halt).
    private mutating func probePauseAndInterruption() {
        if rng.chance(0.1) {
            var paused = state
            paused.status = .paused
            let actions = Scheduler.nextActions(for: paused, now: now)
            log.check(actions.isEmpty, "a paused deployment got \(actions)")
        }
        if state.status == .running, rng.chance(0.1), let target = running.randomElement(using: &rng) {
            var interrupted = state
            interrupted.targets[target].status = .interrupted
            let actions = Scheduler.nextActions(for: interrupted, now: now)
            if overBudget {
                let isHalt = actions.count == 1 && { if case .halt = actions[0] { true } else { false } }()
                log.check(isHalt, "over budget with an interrupted node, the scheduler returned \(actions)")
            } else {
                let node = plan.targets[target].node.name
                let isPause = actions.count == 1 && {
                    if case .pause(let reason) = actions[0] { reason.contains(node) } else { false }
                }()
                log.check(isPause, "interrupted node \(node) should give one pause naming it, got \(actions)")
            }
        }
    }

    private mutating func check(_ action: SchedulerAction) {
        switch action {
        case .beginPhase(let phase):
            log.check(state.phases.indices.contains(phase) && state.phases[phase].status == .pending,
                      "beginPhase(\(phase)) of a phase that is not pending")
            log.check(phase == 0 || state.phases[phase - 1].status == .completed,
                      "beginPhase(\(phase)) before phase \(phase - 1) completed")
        case .startTargets(let indices):
            log.check(!halted && state.status == .running, "startTargets while \(state.status)")
            log.check(!indices.isEmpty, "startTargets with no target")
            guard let first = indices.first, indices.allSatisfy(plan.targets.indices.contains) else { return }
            let phase = plan.targets[first].phase, batch = plan.targets[first].batch
            log.check(indices.allSatisfy { plan.targets[$0].phase == phase && plan.targets[$0].batch == batch },
                      "startTargets(\(indices)) mixes batches")
            log.check(phase == state.currentPhase, "startTargets in phase \(phase) while phase \(state.currentPhase) is current")
            log.check(state.phases[phase].status == .running, "startTargets in phase \(phase), which is \(state.phases[phase].status)")
            for index in indices {
                log.check(state.targets[index].status == .pending, "target \(index) started while \(state.targets[index].status)")
                starts[index] += 1
                log.check(starts[index] == 1, "target \(index) started \(starts[index]) times")
            }
            for (index, target) in plan.targets.enumerated()
            where (target.phase, target.batch) < (phase, batch) && !state.targets[index].status.isSettled {
                log.fail("phase \(phase) batch \(batch) starts while target \(index) of phase \(target.phase) batch \(target.batch) is \(state.targets[index].status)")
            }
        case .finishPhase(let phase):
            let unsettled = plan.phases[phase].targetIndices.filter { !state.targets[$0].status.isSettled }
            log.check(unsettled.isEmpty, "finishPhase(\(phase)) with unsettled targets \(unsettled)")
        case .openGate(let phase):
            let current = state.phases[phase]
            log.check(current.status == .gate, "openGate(\(phase)) of a phase in \(current.status)")
            switch current.gate {
            case .automatic: break
            case .bake:
                log.check(current.gateOpensAt.map { now >= $0 } ?? false,
                          "bake gate of phase \(phase) opened at \(now), before \(String(describing: current.gateOpensAt))")
            case .manual:
                log.check(current.approvedBy != nil, "manual gate of phase \(phase) opened without approval")
            }
        case .wakeAt(let time):
            log.check(time > now, "wakeAt(\(time)) is not in the future of \(now)")
            log.check(state.phases[state.currentPhase].status == .gate, "wakeAt outside a gate")
        case .halt:
            log.check(overBudget, "halt while failures are within budget")
            halted = true
        case .pause(let reason):
            log.fail("pause with no interrupted node: \(reason)")
        case .finish(let outcome, _):
            let unsettled = state.targets.indices.filter { !state.targets[$0].status.isSettled }
            log.check(unsettled.isEmpty, "finish with unsettled targets \(unsettled)")
            log.check(!overBudget, "finish(\(outcome)) while over budget")
            let failed = state.count(.failed)
            log.check(outcome == (failed == 0 ? .succeeded : .finishedWithFailures), "finish(\(outcome)) with \(failed) failed target(s)")
        }
    }

    /// Running targets are all in one batch and never more than its phase's parallelism.
    private mutating func checkRunning() {
        let running = self.running
        guard let first = running.first else { return }
        let phase = plan.targets[first].phase, batch = plan.targets[first].batch
        log.check(running.allSatisfy { plan.targets[$0].phase == phase && plan.targets[$0].batch == batch },
                  "targets of two batches run at once: \(running)")
        log.check(running.count <= plan.phases[phase].parallelism,
                  "\(running.count) targets run at once in phase \(phase) of parallelism \(plan.phases[phase].parallelism)")
    }

    private mutating func checkEnd() {
        let status = state.status
        let running = self.running
        log.check([.succeeded, .finishedWithFailures, .halted].contains(status), "the deployment ended \(status)")
        log.check(running.isEmpty, "targets still running at the end: \(running)")
        let failed = state.count(.failed)
        switch status {
        case .succeeded, .finishedWithFailures:
            log.check(starts.allSatisfy { $0 == 1 }, "not every target started exactly once: \(starts)")
            log.check(status == (failed == 0 ? .succeeded : .finishedWithFailures), "ended \(status) with \(failed) failure(s)")
        case .halted:
            log.check(overBudget, "halted within budget")
        default:
            break
        }
        if failed == 0 { log.check(status == .succeeded, "no failure, yet ended \(status)") }
        if failed > 0 && !overBudget { log.check(status == .finishedWithFailures, "\(failed) failure(s) within budget, yet ended \(status)") }
    }
}

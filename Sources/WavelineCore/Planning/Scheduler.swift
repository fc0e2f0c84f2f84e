/// What the engine should do next for a deployment. The engine writes each action's effect to the store,
/// applies it to its `DeploymentState` with `apply`, and asks again until the answer is empty.
public enum SchedulerAction: Sendable, Hashable {
    case beginPhase(Int)
    case startTargets([Int])
    /// The phase's nodes are all settled: it goes to its gate, or straight to completed.
    case finishPhase(Int)
    case openGate(Int)
    /// Nothing to do before this time (a bake gate); the engine sets a timer.
    case wakeAt(Double)
    case halt(reason: String)
    case pause(reason: String)
    case finish(DeploymentStatus, reason: String)
}

public enum Scheduler {
    /// Pure: the next actions for `state` at time `now` (seconds since 1970). Empty means "wait for a
    /// target to finish or a person to act".
    ///
    /// Work happens in plan order: the first batch with an unsettled node is the active batch; nodes start
    /// only from it, at most the phase's parallelism at a time, and only when no node outside it is running.
    /// That one rule keeps batches in sequence (so zones in sequence) and also orders retried nodes of
    /// earlier phases before new work.
    public static func nextActions(for state: DeploymentState, now: Double) -> [SchedulerAction] {
        guard state.status.isActive, state.phases.indices.contains(state.currentPhase) else { return [] }
        let current = state.currentPhase

        if state.status == .running, let reason = overBudget(state) {
            return [.halt(reason: reason)]
        }
        if let interrupted = state.targets.first(where: { $0.status == .interrupted }) {
            return [.pause(reason: "node \(interrupted.node) was interrupted mid-step and its operation is not idempotent: check it, then retry or skip it")]
        }
        if state.phases[current].status == .pending { return [.beginPhase(current)] }

        if let active = activeBatch(state) {
            let batch = state.phases[active.phase].batches[active.batch]
            let runningElsewhere = state.targets.contains {
                $0.status == .running && ($0.phase != active.phase || $0.batch != active.batch)
            }
            if runningElsewhere { return [] }
            let running = batch.filter { state.targets[$0].status == .running }.count
            let slots = state.phases[active.phase].parallelism - running
            let pending = batch.filter { state.targets[$0].status == .pending }
            guard slots > 0, !pending.isEmpty else { return [] }
            return [.startTargets(Array(pending.prefix(slots)))]
        }

        let phase = state.phases[current]
        switch phase.status {
        case .pending:
            return [.beginPhase(current)]
        case .running:
            return [.finishPhase(current)]
        case .gate:
            switch phase.gate {
            case .automatic:
                return [.openGate(current)]
            case .bake:
                guard let opensAt = phase.gateOpensAt, now < opensAt else { return [.openGate(current)] }
                return [.wakeAt(opensAt)]
            case .manual:
                return phase.approvedBy == nil ? [] : [.openGate(current)]
            }
        case .completed:
            if current + 1 < state.phases.count { return [.beginPhase(current + 1)] }
            return [finish(state)]
        }
    }

    /// The first batch, in plan order up to the current phase, that has a node not yet settled.
    static func activeBatch(_ state: DeploymentState) -> (phase: Int, batch: Int)? {
        for phase in 0...state.currentPhase {
            for (index, batch) in state.phases[phase].batches.enumerated()
            where batch.contains(where: { !state.targets[$0].status.isSettled }) {
                return (phase, index)
            }
        }
        return nil
    }

    /// Why the deployment is over its failure budget, or nil.
    public static func overBudget(_ state: DeploymentState) -> String? {
        let failed = state.count(.failed)
        if failed > state.failureBudget {
            return "failure budget spent: \(counted(failed, "node")) failed, the deployment tolerates \(state.failureBudget)"
        }
        for (index, phase) in state.phases.enumerated() {
            guard let budget = phase.failureBudget else { continue }
            let failedInPhase = state.count(.failed, phase: index)
            if failedInPhase > budget {
                return "failure budget of phase '\(phase.name)' spent: \(counted(failedInPhase, "node")) failed, it tolerates \(budget)"
            }
        }
        return nil
    }

    static func finish(_ state: DeploymentState) -> SchedulerAction {
        if state.status == .rollingBack {
            let failed = state.targets.filter { $0.kind == .rollback && $0.status == .failed }.map(\.node)
            if failed.isEmpty { return .finish(.rolledBack, reason: "rolled back") }
            return .finish(.failed, reason: "rollback failed on \(failed.joined(separator: ", "))")
        }
        let failed = state.targets.filter { $0.kind == .deploy && $0.status == .failed }.map(\.node)
        if failed.isEmpty {
            let skipped = state.count(.skipped)
            return .finish(.succeeded, reason: skipped == 0 ? "all nodes succeeded" : "succeeded; \(counted(skipped, "node")) skipped")
        }
        let one = failed.count == 1
        return .finish(.finishedWithFailures, reason: "\(counted(failed.count, "node")) failed within the failure budget: \(failed.joined(separator: ", ")); retry \(one ? "it" : "them") or roll back")
    }
}

extension DeploymentState {
    /// Applies an action's effect. The engine calls this only after the effect is stored.
    public mutating func apply(_ action: SchedulerAction, now: Double) {
        switch action {
        case .beginPhase(let index):
            currentPhase = index
            phases[index].status = .running
        case .startTargets(let indices):
            for index in indices { targets[index].status = .running }
        case .finishPhase(let index):
            let isLast = index == phases.count - 1
            switch phases[index].gate {
            case .automatic:
                phases[index].status = .completed
            case _ where isLast:
                phases[index].status = .completed
            case .bake(let duration):
                phases[index].status = .gate
                phases[index].gateOpensAt = now + Double(duration.components.seconds)
                    + Double(duration.components.attoseconds) / 1e18
            case .manual:
                phases[index].status = .gate
            }
        case .openGate(let index):
            phases[index].status = .completed
        case .wakeAt:
            break
        case .halt:
            status = .halted
        case .pause:
            status = .paused
        case .finish(let outcome, _):
            status = outcome
        }
    }
}

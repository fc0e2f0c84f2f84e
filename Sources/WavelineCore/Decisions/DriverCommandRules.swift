/// A person's action on a deployment whose driver runs: what it asks for, on which nodes, by whom.
public struct DeploymentCommand: Sendable, Hashable {
    public var action: OperatorAction
    /// The nodes it names; none means every node it applies to (retry), and is refused where names are needed (skip).
    public var nodes: [String]
    public var actor: String

    public init(action: OperatorAction, nodes: [String] = [], actor: String) {
        self.action = action
        self.nodes = nodes
        self.actor = actor
    }
}

/// What the rules know of a deployment under way: its scheduler state and the few facts of its record they need.
public struct DrivenDeployment: Sendable, Hashable {
    public var id: Int64
    public var state: DeploymentState
    public var requestedBy: String
    /// The protected environments it touches: their manual gates need a second person too.
    public var protectedEnvironments: [String]
    /// Who approved the deployment itself (four-eyes), to say so when no gate waits.
    public var approvedBy: String?
    public var operationName: String
    public var hasRollbackSteps: Bool

    public init(
        id: Int64, state: DeploymentState, requestedBy: String, protectedEnvironments: [String] = [],
        approvedBy: String? = nil, operationName: String, hasRollbackSteps: Bool
    ) {
        self.id = id
        self.state = state
        self.requestedBy = requestedBy
        self.protectedEnvironments = protectedEnvironments
        self.approvedBy = approvedBy
        self.operationName = operationName
        self.hasRollbackSteps = hasRollbackSteps
    }
}

/// What an accepted action changes. The driver stores it (the state's changed phases and targets, the record's
/// status reason and end time, an event with `message`), then acts on it.
public struct CommandEffect: Sendable, Hashable {
    public enum StatusReason: Sendable, Hashable {
        case keep
        case set(String?)
    }
    public enum FinishTime: Sendable, Hashable {
        case keep
        /// It ends now (an abort).
        case now
        /// It is under way again (a rollback of a finished deployment).
        case clear
    }
    /// A node run added by a rollback: at `index` of the new state's targets, undoing the run at `undoes`.
    public struct RollbackRun: Sendable, Hashable {
        public var index: Int
        public var undoes: Int

        public init(index: Int, undoes: Int) {
            self.index = index
            self.undoes = undoes
        }
    }

    /// The state after the action.
    public var state: DeploymentState
    public var changedPhases: [Int] = []
    public var changedTargets: [Int] = []
    public var statusReason: StatusReason = .keep
    public var finishTime: FinishTime = .keep
    /// The event's text (the caller's reason is added after it).
    public var message: String
    /// Running steps are ended (an abort).
    public var endsRunningSteps = false
    /// Rollback runs added, in target order; their phase is the last one of `state`.
    public var rollbackRuns: [RollbackRun] = []
}

/// The rules for a person's action on a deployment whose driver runs: either why it cannot be done now, or
/// what it changes. Pure: the driver decides with it, stores the effect, then acts.
public enum DriverCommandRules {
    public static func decide(_ command: DeploymentCommand, on deployment: DrivenDeployment) -> Result<CommandEffect, Refusal> {
        do {
            return .success(try effect(of: command, on: deployment))
        } catch {
            return .failure(error)
        }
    }

    static func effect(of command: DeploymentCommand, on deployment: DrivenDeployment) throws(Refusal) -> CommandEffect {
        let state = deployment.state
        let who = command.actor
        var effect = CommandEffect(state: state, message: "")
        func refuse(_ why: String) -> Refusal {
            Refusal(.conflict, "cannot \(command.action.rawValue) deployment #\(deployment.id): \(why)")
        }
        /// Under way again after a pause or halt: rolling back if its current phase is the rollback.
        func underWay() -> DeploymentStatus { state.phases[state.currentPhase].kind == .rollback ? .rollingBack : .running }

        switch command.action {
        case .pause:
            guard state.status.isActive else { throw refuse("it is \(state.status.rawValue), not running") }
            effect.state.status = .paused
            effect.statusReason = .set("paused by \(who)")
            effect.message = "paused by \(who); running nodes finish, nothing new starts"

        case .resume:
            switch state.status {
            case .paused, .halted:
                if let interrupted = state.targets.first(where: { $0.status == .interrupted }) {
                    throw refuse("node \(interrupted.node) was interrupted mid-step; retry or skip it first")
                }
                effect.state.status = underWay()
                if effect.state.status == .running, let over = Scheduler.overBudget(effect.state) {
                    throw refuse("\(over); retry or skip failed nodes first")
                }
                effect.statusReason = .set(nil)
                effect.message = "resumed by \(who)"
            default:
                throw refuse("it is \(state.status.rawValue); only a paused or halted deployment resumes")
            }

        case .abort:
            guard !state.status.isFinal else { throw refuse("it is already \(state.status.rawValue)") }
            for (index, target) in state.targets.enumerated() where target.status == .pending || target.status == .interrupted {
                effect.state.targets[index].status = .cancelled
                effect.changedTargets.append(index)
            }
            effect.state.status = .cancelled
            // The reason goes in the event (its own field, and the end of its message), where the caller's words
            // are kept apart from the server's text that is masked.
            effect.statusReason = .set("aborted by \(who)")
            effect.finishTime = .now
            effect.message = "aborted by \(who)"
            effect.endsRunningSteps = true

        case .retry:
            guard !state.status.isFinal, state.status != .queued else { throw refuse("it is \(state.status.rawValue)") }
            let chosen = try indices(named: command.nodes, in: deployment, where: { $0 == .failed || $0 == .interrupted }, what: "failed or interrupted")
            for index in chosen {
                effect.state.targets[index].status = .pending
                effect.changedTargets.append(index)
            }
            if state.status == .halted || state.status == .paused {
                effect.state.status = underWay()
                if effect.state.status == .running, let over = Scheduler.overBudget(effect.state) { throw refuse(over) }
            }
            effect.statusReason = .set(nil)
            // Under way again: a deployment that finished with failed nodes was reopened for this retry.
            effect.finishTime = .clear
            effect.message = "\(who) retried \(chosen.map { state.targets[$0].node }.joined(separator: ", "))"

        case .skip:
            guard !state.status.isFinal else { throw refuse("it is \(state.status.rawValue)") }
            guard !command.nodes.isEmpty else { throw Refusal(.invalid, "skip needs the names of the nodes to skip") }
            let chosen = try indices(named: command.nodes, in: deployment, where: { $0 == .pending || $0 == .failed || $0 == .interrupted }, what: "pending, failed or interrupted")
            for index in chosen {
                effect.state.targets[index].status = .skipped
                effect.changedTargets.append(index)
            }
            effect.message = "\(who) skipped \(chosen.map { state.targets[$0].node }.joined(separator: ", "))"

        case .approve:
            // A finished deployment whose driver is still winding down answers as it will once the driver is
            // gone (`ParkedCommandRules`): its gates no longer open.
            guard !state.status.isFinal else { throw refuse("it is \(state.status.rawValue)") }
            let current = state.currentPhase
            guard state.phases[current].status == .gate, state.phases[current].gate == .manual,
                  state.phases[current].approvedBy == nil else {
                let approved = deployment.approvedBy.map { "; it was approved by \($0)" } ?? ""
                throw refuse("no gate is waiting for approval\(approved)")
            }
            // Four-eyes on protected environments: the gate needs someone other than the requester too.
            if !FourEyes.allows(approver: who, requester: deployment.requestedBy, protected: deployment.protectedEnvironments) {
                throw refuse("\(who) requested it, and a gate on the protected environment \(deployment.protectedEnvironments.joined(separator: ", ")) needs a second person's approval (four-eyes)")
            }
            effect.state.phases[current].approvedBy = who
            effect.changedPhases.append(current)
            effect.message = "\(who) approved the gate after phase '\(state.phases[current].name)'"

        case .rollback:
            guard deployment.hasRollbackSteps else { throw refuse("operation '\(deployment.operationName)' has no rollback steps") }
            guard !state.phases.contains(where: { $0.kind == .rollback }) else {
                throw refuse(state.status == .rollingBack ? "it is already rolling back" : "it was already rolled back")
            }
            guard state.status != .running else {
                throw refuse("it is running; pause it first so running nodes finish")
            }
            let rollbackPhase = state.phases.count
            var batches: [[Int]] = []
            var runs: [CommandEffect.RollbackRun] = []
            var added: [TargetState] = []
            // Undo in reverse order, keeping the original batches, which are zone-safe.
            for phase in state.phases.reversed() {
                for batch in phase.batches.reversed() {
                    var rollbackBatch: [Int] = []
                    for index in batch.reversed() where state.targets[index].status == .succeeded && state.targets[index].kind == .deploy {
                        let newIndex = state.targets.count + added.count
                        added.append(TargetState(node: state.targets[index].node, kind: .rollback, phase: rollbackPhase, batch: batches.count))
                        runs.append(CommandEffect.RollbackRun(index: newIndex, undoes: index))
                        rollbackBatch.append(newIndex)
                    }
                    if !rollbackBatch.isEmpty { batches.append(rollbackBatch) }
                }
            }
            guard !runs.isEmpty else { throw refuse("no node completed the operation, so there is nothing to roll back") }
            for (index, target) in state.targets.enumerated() where target.status == .pending || target.status == .interrupted {
                effect.state.targets[index].status = .cancelled
                effect.changedTargets.append(index)
            }
            effect.state.phases.append(PhaseState(
                name: "rollback", kind: .rollback, gate: .automatic,
                parallelism: state.phases.map(\.parallelism).max() ?? 1, failureBudget: nil, batches: batches
            ))
            effect.changedPhases.append(rollbackPhase)
            effect.state.targets += added
            effect.changedTargets += runs.map(\.index)
            effect.rollbackRuns = runs
            effect.state.currentPhase = rollbackPhase
            effect.state.status = .rollingBack
            let reason = "rolling back \(counted(runs.count, "node")), asked by \(who)"
            effect.statusReason = .set(reason)
            effect.finishTime = .clear
            effect.message = reason
        }
        return effect
    }

    /// The target indices of the named nodes in an allowed status, or of every node in one when none are named.
    static func indices(
        named nodes: [String], in deployment: DrivenDeployment, where allowed: (TargetStatus) -> Bool, what: String
    ) throws(Refusal) -> [Int] {
        let targets = deployment.state.targets
        if nodes.isEmpty {
            let all = targets.indices.filter { allowed(targets[$0].status) }
            guard !all.isEmpty else { throw Refusal(.conflict, "deployment #\(deployment.id) has no \(what) node") }
            return all
        }
        var chosen: [Int] = []
        for name in nodes {
            // The most recent run of that node: a rollback run if there is one.
            guard let index = targets.indices.last(where: { targets[$0].node == name }) else {
                throw Refusal(.notFound, "node '\(name)' is not part of deployment #\(deployment.id)")
            }
            guard allowed(targets[index].status) else {
                throw Refusal(.conflict, "node '\(name)' is \(targets[index].status.rawValue) in deployment #\(deployment.id); only \(what) nodes qualify")
            }
            chosen.append(index)
        }
        return chosen
    }
}

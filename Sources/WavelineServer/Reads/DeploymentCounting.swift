import WavelineAPI
import WavelineCore
import WavelineStore

/// How a deployment's progress is counted, for its page (from every target) and its summary card (from the
/// store's counts per phase, kind and status) alike: one counting.
enum DeploymentCounting {
    /// The whole deployment's counts: nodes of the last phase's kind (deploy, or rollback once it rolls back).
    static func total(_ counts: [TargetStatusCount], phases: [PhaseRecord]) -> StatusCounts {
        let countedKind = phases.last?.kind ?? .deploy
        return sum(counts.filter { $0.kind == countedKind })
    }

    /// The phases as shown, each with its counts; `batches` names each phase's nodes batch by batch (empty
    /// where not shown).
    static func phaseViews(_ phases: [PhaseRecord], counts: [TargetStatusCount], batches: (PhaseRecord) -> [[String]] = { _ in [] }) -> [PhaseView] {
        phases.map { phase in
            PhaseView(
                index: phase.phaseIndex, name: phase.name, kind: phase.kind, status: phase.status,
                gate: phase.gate.description, gateOpensAt: phase.gateOpensAt, approvedBy: phase.approvedBy,
                parallelism: phase.parallelism, failureBudget: phase.failureBudget, batches: batches(phase),
                counts: sum(counts.filter { $0.phaseIndex == phase.phaseIndex }), startedAt: phase.startedAt, finishedAt: phase.finishedAt
            )
        }
    }

    private static func sum(_ counts: [TargetStatusCount]) -> StatusCounts {
        var total = StatusCounts()
        for count in counts {
            switch count.status {
            case .pending: total.pending += count.count
            case .running: total.running += count.count
            case .succeeded: total.succeeded += count.count
            case .failed: total.failed += count.count
            case .skipped: total.skipped += count.count
            case .cancelled: total.cancelled += count.count
            case .interrupted: total.interrupted += count.count
            }
        }
        return total
    }
}

import Foundation
import WavelineCore
import WavelineAPI

/// Plain-text views of deployments for a terminal: aligned columns, the failure point first when there is one.
/// What they show comes from nodes and people, so every view is neutralized for the terminal (`TerminalText`).
enum StatusRenderer {
    static func list(_ deployments: [DeploymentSummary]) -> String {
        TerminalText.neutralized(listText(deployments))
    }

    static func progressLine(_ detail: DeploymentDetail) -> String {
        TerminalText.neutralized(progressText(detail))
    }

    static func detail(_ detail: DeploymentDetail, now: Double) -> String {
        TerminalText.neutralized(detailText(detail, now: now))
    }

    private static func listText(_ deployments: [DeploymentSummary]) -> String {
        guard !deployments.isEmpty else { return "No deployments yet. Start one with `waveline deploy`." }
        var rows = [["ID", "STATE", "OPERATION", "SELECTION", "NODES", "BY", "TICKET", "CREATED"]]
        for deployment in deployments {
            rows.append([
                "#\(deployment.id)", deployment.status.rawValue, deployment.operation, deployment.selection,
                "\(deployment.targetCount)", deployment.requestedBy, deployment.ticket ?? "-", time(deployment.createdAt),
            ])
        }
        return table(rows)
    }

    private static func progressText(_ detail: DeploymentDetail) -> String {
        let counts = detail.counts
        let phase = detail.phases.indices.contains(detail.deployment.currentPhase) ? detail.phases[detail.deployment.currentPhase].name : "-"
        return "#\(detail.deployment.id) \(detail.deployment.status.rawValue) · phase \(phase) · \(counts.succeeded) ok, \(counts.running) running, \(counts.failed) failed, \(counts.pending) pending of \(counts.total)"
    }

    private static func detailText(_ detail: DeploymentDetail, now: Double) -> String {
        let deployment = detail.deployment
        var out: [String] = []
        out.append("Deployment #\(deployment.id)  \(deployment.operation)  \(deployment.status.rawValue.uppercased())  (strategy \(deployment.strategy))")
        if let reason = deployment.statusReason { out.append("  \(reason)") }
        out.append("  requested by \(deployment.requestedBy) · reason: \(deployment.reason)" + (deployment.ticket.map { " · ticket \($0)" } ?? ""))
        var facts = "  selection \(deployment.selection) · \(counted(deployment.targetCount, "node")) · failure budget \(deployment.failureBudget)"
        if !deployment.parameters.isEmpty {
            facts += " · " + deployment.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        out.append(facts)
        if let started = deployment.startedAt {
            out.append("  started \(time(started)) · elapsed \(duration((deployment.finishedAt ?? now) - started))")
        }
        out.append("")

        var rows = [["PHASE", "STATE", "DONE", "RUN", "FAIL", "SKIP", "PEND", "BATCHES", "GATE"]]
        for phase in detail.phases {
            var gate = phase.gate
            if phase.status == .gate {
                if phase.gate == "manual" {
                    gate += phase.approvedBy.map { " (approved by \($0))" } ?? " (waiting: waveline approve \(deployment.id))"
                } else if let opens = phase.gateOpensAt {
                    gate += " (opens in \(duration(max(0, opens - now))))"
                }
            }
            rows.append([
                phase.name, phase.status.word(in: deployment.status), "\(phase.counts.succeeded)", "\(phase.counts.running)",
                "\(phase.counts.failed)", "\(phase.counts.skipped)", "\(phase.counts.pending + phase.counts.interrupted)",
                "\(phase.batches.count)", gate,
            ])
        }
        out.append(indent(table(rows)))
        out.append("")

        var nodeRows = [["NODE", "PHASE/BATCH", "CLUSTER", "ZONE", "STATE", "TRY", "STEP / REASON"]]
        for target in detail.targets {
            let phaseName = detail.phases.indices.contains(target.phase) ? detail.phases[target.phase].name : "\(target.phase)"
            var note = target.currentStep ?? ""
            if let failure = target.failure, target.status == .failed || target.status == .interrupted {
                note = "\(failure.stage.rawValue) '\(failure.step)': \(failure.reason)"
            } else if target.status == .succeeded || target.status == .pending {
                note = ""
            }
            nodeRows.append([
                target.node, "\(phaseName)/\(target.batch + 1)", target.cluster, target.zone,
                mark(target.status) + " " + target.status.rawValue, target.attempt > 0 ? "\(target.attempt)" : "-", note,
            ])
        }
        out.append(indent(table(nodeRows)))

        if !detail.failures.isEmpty {
            out.append("")
            out.append("Failure point" + (detail.failures.count > 1 ? "s" : "") + ":")
            for failure in detail.failures {
                let code = failure.exitCode.map { "exit \($0)" } ?? "no exit code"
                out.append("  ✗ \(failure.node) at \(failure.stage.rawValue) '\(failure.step)' (\(code)): \(failure.reason)")
                for line in failure.lastLines {
                    out.append("      \(time(line.time)) \(line.stream.padding(toLength: 6, withPad: " ", startingAt: 0)) \(line.text)")
                }
                out.append("    logs: waveline logs \(deployment.id) --node \(failure.node)")
            }
        }
        if let next = nextStep(deployment) {
            out.append("")
            out.append("Next: " + next)
        }
        return out.joined(separator: "\n")
    }

    /// What can be done after a failure, as commands (the server still checks who may).
    static func nextStep(_ deployment: DeploymentSummary) -> String? {
        let id = deployment.id
        switch deployment.status {
        case .finishedWithFailures:
            return "fix what the failed nodes' logs show, then `waveline retry \(id)` (or `--node NAME` for one); or `waveline rollback \(id)`."
        case .halted:
            return "fix what the failed nodes' logs show, then `waveline retry \(id)` or `waveline skip \(id) --node NAME`, and `waveline resume \(id)`; or `waveline abort \(id)`."
        case .failed:
            return "it could not finish: fix what the reason above says, then start a new deployment."
        default:
            return nil
        }
    }

    static func mark(_ status: TargetStatus) -> String {
        switch status {
        case .succeeded: return "✓"
        case .failed: return "✗"
        case .running: return "▶"
        case .pending: return "·"
        case .skipped: return "↷"
        case .cancelled: return "⊘"
        case .interrupted: return "!"
        }
    }

    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: width)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }

    static func time(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total / 60 % 60))m"
    }
}

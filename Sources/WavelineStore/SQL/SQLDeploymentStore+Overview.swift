import SQLKit
import WavelineCore

extension SQLDeploymentStore {
    /// The overviews of many deployments in four queries, whatever their size: phases; target counts per phase,
    /// kind and status (`GROUP BY` over the `targets_progress` index, never reading the targets' rows); the
    /// failed targets (the same index finds them); and the last lines of each shown failed node's log (the
    /// `log_lines_target` index, newest first, a few rows per node).
    public func overviews(of deploymentIDs: [Int64], failureLimit: Int, lastLines: Int, window: Int) async throws -> [Int64: DeploymentOverview] {
        guard !deploymentIDs.isEmpty else { return [:] }
        var result: [Int64: DeploymentOverview] = [:]
        for id in deploymentIDs { result[id] = DeploymentOverview() }
        let ids: [any Encodable & Sendable] = deploymentIDs

        let phases = try await reader.raw("""
            SELECT deployment_id, phase_index, name, kind, gate_json, parallelism, failure_budget, '[]' AS batches_json,
                status, gate_opens_at, approved_by, started_at, finished_at
            FROM phases WHERE deployment_id IN (\(binds: ids)) ORDER BY deployment_id, phase_index
            """).all(reading: PhaseRecord.init(row:))
        for phase in phases { result[phase.deploymentId]?.phases.append(phase) }

        let countRows = try await reader.raw("""
            SELECT deployment_id, phase_index, kind, status, COUNT(*) AS n FROM targets
            WHERE deployment_id IN (\(binds: ids)) GROUP BY deployment_id, status, phase_index, kind
            """).all()
        for row in countRows {
            let count = TargetStatusCount(
                phaseIndex: try row.int("phase_index"), kind: try row.value("kind"), status: try row.value("status"), count: try row.int("n")
            )
            result[try row.int64("deployment_id")]?.counts.append(count)
        }

        let failedStatuses: [any Encodable & Sendable] = [TargetStatus.failed.rawValue, TargetStatus.interrupted.rawValue]
        let failedRows = try await reader.raw("""
            SELECT deployment_id, target_index, node, status, failure_json FROM targets
            WHERE deployment_id IN (\(binds: ids)) AND status IN (\(binds: failedStatuses)) AND failure_json IS NOT NULL
            ORDER BY deployment_id, target_index
            """).all(reading: FailedRow.init(row:))
        var shown: [(deployment: Int64, target: FailedTarget)] = []
        var perDeployment: [Int64: Int] = [:]
        for row in failedRows {
            guard perDeployment[row.deploymentId, default: 0] < failureLimit,
                  let json = row.failureJson, let failure = try? JSONText.decodeMemoized(FailurePoint.self, from: json) else { continue }
            perDeployment[row.deploymentId, default: 0] += 1
            shown.append((row.deploymentId, FailedTarget(targetIndex: row.targetIndex, node: row.node, status: row.status, failure: failure, lastLines: [])))
        }

        // The last lines of each shown node: one `ORDER BY id DESC LIMIT window` per node, so each reads only its few
        // rows from the index, joined by UNION ALL in statements of at most 200 (SQLite allows 500 per compound).
        var lines: [String: [LogLineRecord]] = [:]
        var start = 0
        while start < shown.count, lastLines > 0, window > 0 {
            let end = min(start + 200, shown.count)
            var query = SQLQueryString("")
            for index in start..<end {
                if index > start { query.appendLiteral(" UNION ALL ") }
                query.appendInterpolation(SQLQueryString("""
                    SELECT * FROM (SELECT * FROM (SELECT * FROM log_lines WHERE deployment_id = \(bind: shown[index].deployment) \
                    AND target_index = \(bind: shown[index].target.targetIndex) ORDER BY id DESC LIMIT \(bind: window)) \
                    WHERE stream != 'system' ORDER BY id DESC LIMIT \(bind: lastLines))
                    """))
            }
            for line in try await reader.raw(query).all(reading: LogLineRecord.init(row:)) {
                lines["\(line.deploymentId)/\(line.targetIndex)", default: []].append(line)
            }
            start = end
        }
        for var entry in shown {
            entry.target.lastLines = (lines["\(entry.deployment)/\(entry.target.targetIndex)"] ?? []).sorted { $0.id < $1.id }
            result[entry.deployment]?.failures.append(entry.target)
        }
        return result
    }

    private struct FailedRow {
        var deploymentId: Int64
        var targetIndex: Int
        var node: String
        var status: TargetStatus
        var failureJson: String?

        init(row: any SQLRow) throws {
            deploymentId = try row.int64("deployment_id")
            targetIndex = try row.int("target_index")
            node = try row.text("node")
            status = try row.value("status")
            failureJson = try row.optionalText("failure_json")
        }
    }
}

import WavelineCore

/// What a list of deployments shows of each one, read for many deployments at once: its phases, how many of
/// its nodes are in each status per phase and kind, and its first failed nodes with the end of their logs.
/// The summary page reads this instead of every listed deployment's full detail (all targets, one log query
/// per failed node).
public struct DeploymentOverview: Sendable, Hashable {
    /// Without their batches (`batches` is empty): a list does not show them, and they are the long part.
    public var phases: [PhaseRecord]
    public var counts: [TargetStatusCount]
    /// Failed or interrupted nodes with a failure point, in target order, at most the `failureLimit` asked for.
    public var failures: [FailedTarget]

    public init(phases: [PhaseRecord] = [], counts: [TargetStatusCount] = [], failures: [FailedTarget] = []) {
        self.phases = phases
        self.counts = counts
        self.failures = failures
    }
}

/// How many of a deployment's targets of one phase and kind are in one status.
public struct TargetStatusCount: Sendable, Hashable {
    public var phaseIndex: Int
    public var kind: TargetKind
    public var status: TargetStatus
    public var count: Int

    public init(phaseIndex: Int, kind: TargetKind, status: TargetStatus, count: Int) {
        self.phaseIndex = phaseIndex
        self.kind = kind
        self.status = status
        self.count = count
    }

    /// Targets tallied per phase, kind and status, in the order each first appears: what an overview counts.
    public static func tally(_ targets: [TargetRecord]) -> [TargetStatusCount] {
        var counts: [TargetStatusCount] = []
        var positions: [String: Int] = [:]
        for target in targets {
            let key = "\(target.phaseIndex)/\(target.kind.rawValue)/\(target.status.rawValue)"
            if let position = positions[key] {
                counts[position].count += 1
            } else {
                positions[key] = counts.count
                counts.append(TargetStatusCount(phaseIndex: target.phaseIndex, kind: target.kind, status: target.status, count: 1))
            }
        }
        return counts
    }
}

/// A failed (or interrupted) node of a deployment: where it failed and the last lines of its log (not system
/// lines), in order.
public struct FailedTarget: Sendable, Hashable {
    public var targetIndex: Int
    public var node: String
    public var status: TargetStatus
    public var failure: FailurePoint
    public var lastLines: [LogLineRecord]

    public init(targetIndex: Int, node: String, status: TargetStatus, failure: FailurePoint, lastLines: [LogLineRecord]) {
        self.targetIndex = targetIndex
        self.node = node
        self.status = status
        self.failure = failure
        self.lastLines = lastLines
    }
}

extension DeploymentReader {
    /// Reads the overview one deployment at a time through the other reads; stores answer it in a few queries.
    public func overviews(of deploymentIDs: [Int64], failureLimit: Int, lastLines: Int, window: Int) async throws -> [Int64: DeploymentOverview] {
        var result: [Int64: DeploymentOverview] = [:]
        for id in deploymentIDs {
            let targets = try await targets(of: id)
            let counts = TargetStatusCount.tally(targets)
            var failures: [FailedTarget] = []
            for target in targets {
                guard failures.count < failureLimit, target.status == .failed || target.status == .interrupted,
                      let failure = target.failure else { continue }
                let lines = try await lastLogLines(of: id, target: target.targetIndex, count: window)
                    .filter { $0.stream != .system }.suffix(lastLines)
                failures.append(FailedTarget(targetIndex: target.targetIndex, node: target.node, status: target.status, failure: failure, lastLines: Array(lines)))
            }
            let phases = try await phases(of: id).map { phase in
                var phase = phase
                phase.batchesJson = "[]"
                return phase
            }
            result[id] = DeploymentOverview(phases: phases, counts: counts, failures: failures)
        }
        return result
    }
}

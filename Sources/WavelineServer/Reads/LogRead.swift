import HTTPTypes
import NIOCore
import WavelineAPI
import WavelineCore
import WavelineStore

/// Which lines of a deployment's log a caller asked for: every node's, or one node's runs (a node that was
/// rolled back has two), with the node names lines are shown under.
struct LogSelection: Sendable {
    var deployment: Int64
    /// Target indices of the requested node; nil for every node.
    var targets: Set<Int>?
    var nodeNames: [Int: String]
}

/// A deployment's log, by cursor: `GET /deployments/{id}/logs` and the backlog of its live stream.
struct LogRead: Sendable {
    let reader: any DeploymentReader

    /// The lines of deployment `id` (of `node` when given) for a caller who may read it (404, 403 otherwise).
    func selection(_ id: Int64, node: String?, context: WavelineRequestContext) async throws -> LogSelection {
        try await DeploymentAccess(reader: reader).authorizeRead(id, context: context)
        let targets = try await reader.targets(of: id)
        let names = Dictionary(uniqueKeysWithValues: targets.map { ($0.targetIndex, $0.node) })
        var selected: Set<Int>?
        if let node {
            let matching = targets.filter { $0.node == node }.map(\.targetIndex)
            guard !matching.isEmpty else {
                throw APIError(.notFound, "node \(node.callerQuoted) is not part of deployment #\(id)")
            }
            selected = Set(matching)
        }
        return LogSelection(deployment: id, targets: selected, nodeNames: names)
    }

    func page(_ selection: LogSelection, after: Int64, limit: Int) async throws -> LogPage {
        let status = try await reader.deployment(selection.deployment)?.status ?? .cancelled
        let records = try await reader.logLines(of: selection.deployment, targets: selection.targets.map { $0.sorted() }, afterID: after, limit: limit)
        let lines = records.map { LogLineView($0, node: selection.nodeNames[$0.targetIndex] ?? "?") }
        return LogPage(lines: lines, cursor: lines.last?.id ?? after, deploymentStatus: status)
    }

    /// The deployment's status when it is final; nil while it runs.
    func finalStatus(of deployment: Int64) async throws -> DeploymentStatus? {
        guard let status = try await reader.deployment(deployment)?.status, status.isFinal else { return nil }
        return status
    }

    func follower(_ selection: LogSelection, after: Int64, format: LogStreamFormat) -> LogFollower {
        LogFollower(
            reader: reader, selection: selection, cursor: after,
            shared: SharedLogEvents.FollowedLog(deployment: selection.deployment, targets: selection.targets, nodeNames: selection.nodeNames, format: format)
        )
    }
}

/// One follower's place in a log: the lines it has not sent yet, encoded as server-sent events, from the store
/// (its backlog) or from the live feed.
struct LogFollower: Sendable {
    let reader: any DeploymentReader
    let selection: LogSelection
    private(set) var cursor: Int64
    let shared: SharedLogEvents.FollowedLog

    init(reader: any DeploymentReader, selection: LogSelection, cursor: Int64, shared: SharedLogEvents.FollowedLog) {
        self.reader = reader
        self.selection = selection
        self.cursor = cursor
        self.shared = shared
    }

    /// The events for the lines of `records` after the cursor that the selection shows; nil when there are
    /// none. A batch from the feed that is all new to this follower is what every follower of the selection
    /// sends: encoded once, for all of them.
    mutating func events(_ records: [LogLineRecord], fromFeed: Bool) throws -> ByteBuffer? {
        let cursor = self.cursor
        let new = records.drop { $0.id <= cursor }
        guard let last = new.last(where: { selection.targets?.contains($0.targetIndex) ?? true }) else { return nil }
        let events = fromFeed && new.count == records.count
            ? SharedLogEvents.shared.events(records, of: shared)
            : SharedLogEvents.encode(Array(new), of: shared)
        self.cursor = last.id
        return events
    }

    /// Sends every stored line after the cursor, page by page.
    mutating func catchUp(_ send: (ByteBuffer) async throws -> Void) async throws {
        while true {
            let records = try await reader.logLines(
                of: selection.deployment, targets: selection.targets.map { $0.sorted() }, afterID: cursor, limit: 5000
            )
            if records.isEmpty { return }
            if let events = try events(records, fromFeed: false) { try await send(events) }
        }
    }
}
